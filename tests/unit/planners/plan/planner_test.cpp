// Phase ordering and step serialisation.
#include "planners/plan/step_json.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

const char* mixed_plan = R"(
name: m
changes:
  - create_index: {table: orders, name: a_idx, columns: [user_id]}
  - rename_column: {table: users, from: email, to: email_address}
  - add_column: {table: orders, column: {name: c, type: text, nullable: false}, up: "'x'"}
  - create_index: {table: orders, name: b_idx, columns: [status]}
)";

TEST(Planner, OrdersStepsByPhaseAndKeepsPlanOrderInsideEachPhase) {
    const PlannedMigration planned = testing::plan_with_catalog(mixed_plan);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    std::vector<std::pair<Phase, int>> order;
    for (const auto& step : planned.steps) {
        order.emplace_back(step.phase, step.change_index);
    }
    // The rename is catalog-only: its one step is at contract.
    const std::vector<std::pair<Phase, int>> expected = {
        {Phase::expand, 0},   {Phase::expand, 2},   {Phase::expand, 3},  {Phase::backfill, 2},
        {Phase::backfill, 2}, {Phase::contract, 1}, {Phase::contract, 2}};
    EXPECT_EQ(order, expected);
}

TEST(Planner, StepsSurviveAJsonRoundTrip) {
    const PlannedMigration planned = testing::plan_with_catalog(mixed_plan);
    const std::vector<Step> back = steps_from_json(to_json(planned.steps));
    ASSERT_EQ(back.size(), planned.steps.size());
    EXPECT_EQ(to_json(back), to_json(planned.steps));
    ASSERT_TRUE(planned.steps[3].backfill);
    EXPECT_EQ(back[3].backfill->pending_predicate, planned.steps[3].backfill->pending_predicate);
    EXPECT_EQ(back[0].concurrent_index->index, planned.steps[0].concurrent_index->index);
}

TEST(Planner, ChecksumIgnoresSettingsButNotChanges) {
    const Plan base = testing::load(mixed_plan);
    Plan tuned = base;
    tuned.settings.backfill.batch_size = 50;
    EXPECT_EQ(checksum(base), checksum(tuned));
    Plan edited = testing::load(std::string(mixed_plan) +
                                "  - create_index: {table: orders, name: c_idx, columns: [id]}\n");
    EXPECT_NE(checksum(base), checksum(edited));
}

} // namespace
} // namespace pgphase::planners
