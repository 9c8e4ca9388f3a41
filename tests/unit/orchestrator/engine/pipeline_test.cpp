// Pure pipeline helpers: advance targets, the soak guard's arithmetic and wording, and which
// in-flight migration already touches a table.
#include "orchestrator/engine/pipeline.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

using planners::Milliseconds;

constexpr std::int64_t day_ms = 86'400'000;
// 2026-11-25T12:00:00Z
constexpr std::int64_t expanded_ms = 1'795'608'000'000;

planners::Step step_on(const std::string& table) {
    planners::Step step;
    step.table = {"public", table};
    return step;
}

TEST(AdvanceTarget, NamesRoundTripAndUnknownNamesAreRejected) {
    for (AdvanceTarget target :
         {AdvanceTarget::expand, AdvanceTarget::backfill, AdvanceTarget::complete}) {
        EXPECT_EQ(target_from_name(target_name(target)), target);
    }
    EXPECT_FALSE(target_from_name("contract"));
}

TEST(Soak, RefusesBeforeTheSoakHasPassedAndSaysWhenItWillBeAllowed) {
    const SoakDecision soak =
        decide_soak(expanded_ms, expanded_ms + 2 * day_ms, Milliseconds(7 * day_ms));
    EXPECT_FALSE(soak.allowed);
    EXPECT_EQ(format_utc(soak.allowed_at_ms), "2026-12-02T12:00:00Z");
    EXPECT_EQ(soak.remaining, Milliseconds(5 * day_ms));
    EXPECT_EQ(format_remaining(soak.remaining), "5d");
}

TEST(Soak, AllowsOnceTheSoakHasPassedOrWhenNoneIsAsked) {
    EXPECT_TRUE(
        decide_soak(expanded_ms, expanded_ms + 7 * day_ms, Milliseconds(7 * day_ms)).allowed);
    EXPECT_TRUE(decide_soak(expanded_ms, expanded_ms, Milliseconds(0)).allowed);
}

TEST(Soak, FormatsTimestampsInUtc) {
    EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_utc(expanded_ms + 1500), "2026-11-25T12:00:01Z");
}

TEST(Soak, RemainingTimeShowsTheTwoLargestUnitsRoundedUpSoThatWaitingThatLongIsEnough) {
    EXPECT_EQ(format_remaining(Milliseconds(6 * day_ms + 23 * 3'600'000 + 59 * 60'000)), "7d");
    EXPECT_EQ(format_remaining(Milliseconds(6 * day_ms + 22 * 3'600'000 + 1)), "6d 23h");
    EXPECT_EQ(format_remaining(Milliseconds(2 * 3'600'000 + 5 * 60'000 + 7'000)), "2h 6m");
    EXPECT_EQ(format_remaining(Milliseconds(2 * 3'600'000 - 1'500)), "2h");
    EXPECT_EQ(format_remaining(Milliseconds(3'600'000 - 500)), "1h");
    EXPECT_EQ(format_remaining(Milliseconds(2 * 3'600'000)), "2h");
    EXPECT_EQ(format_remaining(Milliseconds(41'200)), "42s");
    EXPECT_EQ(format_remaining(Milliseconds(1'000)), "1s");
    EXPECT_EQ(format_remaining(Milliseconds(750)), "750ms");
}

TEST(Soak, DurationsAreWrittenAsPlansWriteThem) {
    EXPECT_EQ(format_duration(Milliseconds(7 * day_ms)), "7d");
    EXPECT_EQ(format_duration(Milliseconds(36 * 3'600'000)), "36h");
    EXPECT_EQ(format_duration(Milliseconds(90'000)), "90s");
    EXPECT_EQ(format_duration(Milliseconds(500)), "500ms");
    EXPECT_EQ(format_duration(Milliseconds(0)), "0s");
}

TEST(TableConflict, TouchedTablesAreSortedWithoutDuplicatesAndIncludeBackfillTables) {
    planners::Step backfill = step_on("orders");
    backfill.backfill = planners::BackfillTask{};
    backfill.backfill->table = {"sales", "orders"};
    planners::Step no_table;
    const auto tables =
        touched_tables({step_on("users"), step_on("orders"), step_on("users"), backfill, no_table});
    EXPECT_EQ(tables, (std::vector<std::string>{"public.orders", "public.users", "sales.orders"}));
}

TEST(TableConflict, NamesTheOtherMigrationAndTheSharedTable) {
    const std::vector<InFlightMigration> in_flight = {
        {"add_orders_currency", {step_on("orders")}},
        {"rename_users_email", {step_on("users"), step_on("accounts")}}};
    const auto conflict = find_table_conflict("index_users", {step_on("users")}, in_flight);
    ASSERT_TRUE(conflict);
    EXPECT_EQ(conflict->other, "rename_users_email");
    EXPECT_EQ(conflict->table, "public.users");
}

TEST(TableConflict, DifferentTablesOrTheSameMigrationDoNotConflict) {
    const std::vector<InFlightMigration> in_flight = {{"rename_users_email", {step_on("users")}}};
    EXPECT_FALSE(find_table_conflict("add_orders_currency", {step_on("orders")}, in_flight));
    EXPECT_FALSE(find_table_conflict("rename_users_email", {step_on("users")}, in_flight));
}

} // namespace
} // namespace pgphase::orchestrator
