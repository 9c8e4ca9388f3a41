// backfill: a pure data migration as a BackfillTask whose pending predicate makes reruns
// write nothing, and whose SET leaves rows outside `where` as they are (so verify holds).
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(BackfillData, IsOneBatchedTaskPendingOnlyWhereAColumnDiffers) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - backfill:
      table: orders
      set: {status: lower(status), reference: "coalesce(reference, 'none')"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    const Step& step = planned.steps[0];
    EXPECT_EQ(step.phase, Phase::backfill);
    EXPECT_EQ(step.kind, StepKind::backfill);
    EXPECT_EQ(step.lock, LockLevel::row_exclusive);
    ASSERT_TRUE(step.backfill);
    ASSERT_EQ(step.backfill->set.size(), 2U);
    EXPECT_EQ(step.backfill->set[0].column, "status");
    EXPECT_EQ(step.backfill->set[0].expression, "(lower(status))");
    EXPECT_EQ(step.backfill->set[1].column, "reference");
    EXPECT_EQ(step.backfill->pending_predicate,
              R"("status"::text IS DISTINCT FROM (lower(status))::text OR "reference"::text IS )"
              R"(DISTINCT FROM (COALESCE(reference, 'none'))::text)");
}

TEST(BackfillData, WhereLimitsThePendingRowsAndLeavesOthersAsTheyAre) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - backfill: {table: orders, set: {status: "'closed'"}, where: "created_at < '2020-01-01'"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const BackfillTask& task = *planned.steps.at(0).backfill;
    EXPECT_EQ(task.set.at(0).expression,
              R"(CASE WHEN (created_at < '2020-01-01') THEN ('closed') ELSE "status" END)");
    EXPECT_EQ(task.pending_predicate, R"((created_at < '2020-01-01') AND ("status"::text IS )"
                                      R"(DISTINCT FROM ('closed')::text))");
}

TEST(BackfillData, RefusesPrimaryKeyColumnsAndUnknownColumns) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - backfill: {table: orders, set: {id: id + 1, stat: "'x'"}, where: refrence IS NULL}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 3U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "orders"."id" is part of the primary key)");
    EXPECT_EQ(all[1].message, R"(column "orders"."stat" (set) does not exist)");
    EXPECT_EQ(all[1].hint, R"(did you mean "status"?)");
    EXPECT_EQ(all[2].message, R"(column "orders"."refrence" (read by where) does not exist)");
}

} // namespace
} // namespace pgphase::planners
