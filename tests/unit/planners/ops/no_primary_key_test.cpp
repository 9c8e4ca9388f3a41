// Tables without a primary key are planned like any other: the engine walks them by ctid page
// ranges, so the backfill task names no key.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::testing {
namespace {

using planners::Phase;

planners::PlannedMigration plan_without_primary_key(const std::string& yaml) {
    planners::Catalog catalog = fixture_catalog();
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
  - rename_column: {table: users, from: email, to: email_address}
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

} // namespace
} // namespace pgphase::testing
