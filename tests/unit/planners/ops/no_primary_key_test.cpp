// Tables without a primary key are planned like any other: the engine walks them by ctid page
// ranges, so the backfill task names no key.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::testing {
namespace {

using planners::Phase;

planners::PlannedMigration plan_without_primary_key(const std::string& yaml,
                                                    int server_version_num = 150000) {
    planners::Catalog catalog = fixture_catalog();
    catalog.server_version_num = server_version_num;
    for (auto& table : catalog.tables) {
        table.primary_key.clear();
        table.indexes.clear();
    }
    return planners::plan_migration(load(yaml), &catalog);
}

TEST(NoPrimaryKey, RenameColumnPlansABackfillWithoutAKey) {
    const auto planned = plan_without_primary_key(R"(
name: rename_nopk
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_FALSE(backfill.empty());
    ASSERT_TRUE(backfill[0]->backfill);
    EXPECT_TRUE(backfill[0]->backfill->key.empty());
}

TEST(NoPrimaryKey, AddColumnWithAnUpExpressionPlansABackfill) {
    const auto planned = plan_without_primary_key(R"(
name: add_nopk
changes:
  - add_column: {table: users, column: {name: shout, type: text}, up: upper(name)}
)");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_FALSE(backfill.empty());
    EXPECT_TRUE(backfill[0]->backfill);
}

// Before PostgreSQL 14 there is no TID range scan: refused when planned (so at start), not
// after expand has run; a table with a key is still fine there.
TEST(NoPrimaryKey, ABackfillWithoutAKeyIsRefusedBeforePostgres14) {
    const std::string plan = R"(
name: add_nopk
changes:
  - add_column: {table: users, column: {name: shout, type: text}, up: upper(name)}
)";
    const auto old_server = plan_without_primary_key(plan, 130011);
    ASSERT_TRUE(old_server.diagnostics.has_errors());
    EXPECT_NE(old_server.diagnostics.to_string().find(
                  "table public.users has no primary key, and walking it by ctid page ranges "
                  "needs PostgreSQL 14 or later (the server is 130011)"),
              std::string::npos)
        << old_server.diagnostics.to_string();
    EXPECT_FALSE(plan_without_primary_key(plan, 140000).diagnostics.has_errors());

    planners::Catalog with_key = fixture_catalog();
    with_key.server_version_num = 130011;
    const auto keyed = planners::plan_migration(load(plan), &with_key);
    EXPECT_FALSE(keyed.diagnostics.has_errors()) << keyed.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::testing
