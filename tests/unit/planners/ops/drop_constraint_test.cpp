// drop_constraint and rename_constraint: nothing at expand, one metadata-only statement at
// contract, the working catalog updated for later changes, unknown names reported.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(DropConstraint, DropsAtContractOnlyUnderAnExclusiveLock) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: d
changes:
  - drop_constraint: {table: audit_events, name: audit_events_kind_check}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    EXPECT_EQ(planned.steps[0].phase, Phase::contract);
    EXPECT_EQ(planned.steps[0].lock, LockLevel::access_exclusive);
    EXPECT_EQ(
        planned.steps[0].sql,
        (std::vector<std::string>{
            R"(ALTER TABLE "public"."audit_events" DROP CONSTRAINT IF EXISTS "audit_events_kind_check")"}));
}

TEST(DropConstraint, ReportsAnUnknownConstraintWithASuggestion) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: d
changes:
  - drop_constraint: {table: audit_events, name: audit_events_knd_check}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message,
              R"(constraint "audit_events_knd_check" of table "audit_events" does not exist)");
    EXPECT_EQ(all[0].hint, R"(did you mean "audit_events_kind_check"?)");
}

TEST(DropConstraint, ALaterChangeNoLongerSeesTheDroppedConstraint) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: d
changes:
  - drop_constraint: {table: audit_events, name: audit_events_kind_check}
  - rename_constraint: {table: audit_events, from: audit_events_kind_check, to: x}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].hint, R"(table "audit_events" has no constraints)");
}

TEST(DropConstraint, ANewConstraintMayNotReuseTheNameBeforeContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: d
changes:
  - drop_constraint: {table: audit_events, name: audit_events_kind_check}
  - add_check: {table: audit_events, name: audit_events_kind_check, check: "kind <> 'x'"}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(constraint "audit_events_kind_check" of table "audit_events" )"
                              R"(is still there until contract)");
    EXPECT_EQ(all[0].hint, "change 1 drops it only at contract, after this change's expand; give "
                           "the new constraint another name (a later migration can rename it)");
}

TEST(RenameConstraint, RenamesAtContractSoTheOldVersionKeepsItsName) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: r
changes:
  - rename_constraint: {table: audit_events, from: audit_events_kind_check, to: kind_present}
  - drop_constraint: {table: audit_events, name: kind_present}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 2U);
    EXPECT_EQ(planned.steps[0].phase, Phase::contract);
    EXPECT_EQ(planned.steps[0].lock, LockLevel::access_exclusive);
    EXPECT_EQ(
        planned.steps[0].sql.at(0),
        R"(ALTER TABLE "public"."audit_events" RENAME CONSTRAINT "audit_events_kind_check" TO "kind_present")");
}

TEST(RenameConstraint, ReportsATakenNewName) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: r
changes:
  - add_unique: {table: orders, columns: [reference]}
  - rename_constraint: {table: orders, from: orders_reference_key, to: users_pkey}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(relation "public"."users_pkey" already exists)");
}

} // namespace
} // namespace pgphase::planners
