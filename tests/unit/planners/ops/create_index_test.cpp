// create_index: CONCURRENTLY, outside a transaction, undone concurrently too.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(CreateIndex, BuildsConcurrentlyOutsideATransaction) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: i
changes:
  - create_index: {table: orders, name: o_idx, columns: [user_id, created_at], unique: true, where: "status <> 'closed'"}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    const Step& step = planned.steps[0];
    EXPECT_FALSE(step.transactional);
    EXPECT_EQ(step.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(
        step.sql.at(0),
        R"(CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "o_idx" ON "public"."orders" USING btree ("user_id", "created_at") WHERE (status <> 'closed'))");
    ASSERT_TRUE(step.concurrent_index);
    EXPECT_EQ(step.concurrent_index->index.sql(), R"("public"."o_idx")");
    EXPECT_FALSE(step.undo_transactional);
    EXPECT_EQ(step.undo.at(0), R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."o_idx")");
}

TEST(CreateIndex, ReportsTakenNameAndUnknownColumns) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: i
changes:
  - create_index: {table: orders, name: users_pkey, columns: [user_idd]}
)");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "orders"."user_idd" (indexed) does not exist)");
    EXPECT_EQ(all[1].message, R"(relation "public"."users_pkey" already exists)");
}

TEST(CreateIndex, MaySeeAColumnThatAnEarlierChangeCreates) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: i
changes:
  - add_column: {table: orders, column: {name: region, type: text}}
  - create_index: {table: orders, name: orders_region_idx, columns: [region]}
)");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
