// rename_table: the new version sees the new name during expand; the base table is renamed at
// contract, under lock_timeout; later changes to the same table in one plan are refused.
#include "tests/unit/planners/ops/table_ops_support.hpp"

namespace pgphase::planners {
namespace {

using testing::has_error;
using testing::plan_with_catalog;
using testing::working_catalog;

TEST(RenameTable, RenamesTheBaseTableOnlyAtContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    const Step& step = planned.steps[0];
    EXPECT_EQ(step.phase, Phase::contract);
    EXPECT_TRUE(step.transactional); // under lock_timeout, retried
    EXPECT_EQ(step.lock, LockLevel::access_exclusive);
    EXPECT_EQ(step.sql,
              std::vector<std::string>{R"(ALTER TABLE "public"."orders" RENAME TO "purchases")"});
}

TEST(RenameTable, TheNewVersionSeesTheNewNameAndTheBaseTableKeepsItsOwn) {
    const Catalog working = working_catalog(testing::fixture_catalog(), R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
)yaml");
    const CatalogTable* orders = working.table("public", "orders");
    ASSERT_NE(orders, nullptr);
    EXPECT_EQ(orders->new_version.name, "purchases");
    EXPECT_NE(working.relation("public", "purchases"), nullptr) << "the name is taken now";
}

TEST(RenameTable, RefusesATakenNameAndAnUnknownTable) {
    const PlannedMigration taken = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: users_pkey}
)yaml");
    EXPECT_TRUE(has_error(taken, "relation \"public\".\"users_pkey\" already exists"));
    const PlannedMigration unknown = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: order, to: purchases}
)yaml");
    EXPECT_TRUE(has_error(unknown, "did you mean \"orders\"?"));
}

TEST(RenameTable, RefusesLaterChangesToTheRenamedTableInTheSamePlan) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
  - add_column: {table: orders, column: {name: note, type: text}}
)yaml");
    EXPECT_TRUE(has_error(planned, "change 2 (add_column) works on table \"orders\", which "
                                   "change 1 renames"))
        << planned.diagnostics.to_string();
    EXPECT_TRUE(has_error(planned, "before the rename_table"));
}

TEST(RenameTable, EarlierChangesToTheTableComposeWithIt) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - add_column: {table: orders, column: {name: note, type: text}}
  - rename_table: {from: orders, to: purchases}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
