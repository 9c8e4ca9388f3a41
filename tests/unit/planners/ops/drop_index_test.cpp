// drop_index: DROP INDEX CONCURRENTLY at contract, outside a transaction; indexes backing a
// constraint are refused with a pointer to drop_constraint.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(DropIndex, DropsConcurrentlyAtContractOutsideATransaction) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_index: {name: orders_status_idx}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    const Step& step = planned.steps[0];
    EXPECT_EQ(step.phase, Phase::contract);
    EXPECT_FALSE(step.transactional);
    EXPECT_EQ(step.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(step.table.display(), "public.orders");
    EXPECT_EQ(step.sql, std::vector<std::string>{
                            R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."orders_status_idx")"});
    EXPECT_TRUE(step.undo.empty());
}

TEST(DropIndex, RefusesPrimaryKeyAndConstraintIndexesPointingAtDropConstraint) {
    Catalog catalog = testing::fixture_catalog();
    CatalogTable& orders = catalog.tables[1];
    orders.indexes.push_back({"orders_reference_key", true, false, true, {"reference"}, ""});
    orders.constraints.push_back({"orders_reference_key", 'u', true, {"reference"}, ""});
    catalog.relations.push_back({"public", "orders_reference_key", 'i'});
    const PlannedMigration planned = plan_migration(testing::load(R"yaml(
name: a
changes:
  - drop_index: {name: orders_reference_key}
  - drop_index: {name: users_pkey}
)yaml"),
                                                    &catalog);
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(index "public"."orders_reference_key" backs a constraint )"
                              R"(("orders_reference_key") of table "orders")");
    EXPECT_EQ(all[0].hint, "drop the constraint instead, which drops its index with it: - "
                           "drop_constraint: {table: orders, name: orders_reference_key}");
    EXPECT_EQ(
        all[1].message,
        R"(index "public"."users_pkey" backs the primary key ("users_pkey") of table "users")");
}

TEST(DropIndex, ReportsUnknownIndexesWithASuggestionAndTablesAsNotIndexes) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_index: {name: orders_statu_idx}
  - drop_index: {name: orders}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(index "public"."orders_statu_idx" does not exist)");
    EXPECT_EQ(all[0].hint, R"(did you mean "orders_status_idx"?)");
    EXPECT_EQ(all[1].message, R"(relation "public"."orders" is not an index)");
}

TEST(DropIndex, RemovesTheIndexFromTheWorkingCatalog) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_index: {name: orders_status_idx}
  - drop_index: {name: orders_status_idx}
)yaml");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              R"(index "public"."orders_status_idx" does not exist)");
}

} // namespace
} // namespace pgphase::planners
