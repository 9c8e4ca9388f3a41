// add_foreign_key: optional concurrent index first, NOT VALID at expand under SHARE ROW
// EXCLUSIVE, VALIDATE in backfill with orphans described by key, and the referenced key checked.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(AddForeignKey, BuildsTheIndexConcurrentlyThenAddsTheKeyNotValid) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: f
changes:
  - add_foreign_key: {table: orders, columns: [user_id], references: {table: users}, on_delete: set_null, index: true}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 3U);
    const Step& index = planned.steps[0];
    EXPECT_FALSE(index.transactional);
    EXPECT_EQ(index.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(
        index.sql.at(0),
        R"(CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_user_id_idx" ON "public"."orders" ("user_id"))");
    ASSERT_TRUE(index.concurrent_index);
    EXPECT_EQ(index.undo.at(0),
              R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."orders_user_id_idx")");
    EXPECT_FALSE(index.undo_transactional);

    const Step& add = planned.steps[1];
    EXPECT_EQ(add.phase, Phase::expand);
    EXPECT_TRUE(add.transactional);
    EXPECT_EQ(add.lock, LockLevel::share_row_exclusive);
    EXPECT_EQ(
        add.sql.at(0),
        R"(ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") ON DELETE SET NULL ON UPDATE NO ACTION NOT VALID)");
    EXPECT_EQ(add.undo.at(0),
              R"(ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS "orders_user_id_fkey")");

    const Step& validate = planned.steps[2];
    EXPECT_EQ(validate.phase, Phase::backfill);
    EXPECT_EQ(validate.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(
        validate.violation_count_sql,
        R"(SELECT count(*) FROM "public"."orders" AS pgphase_row WHERE pgphase_row."user_id" IS NOT NULL AND NOT EXISTS (SELECT FROM "public"."users" AS pgphase_parent WHERE pgphase_parent."id" = pgphase_row."user_id"))");
    EXPECT_NE(validate.violation_examples_sql.find("ORDER BY pgphase_row.\"id\" LIMIT 5"),
              std::string::npos);
}

TEST(AddForeignKey, WithoutIndexHasNoConcurrentStep) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: f
changes:
  - add_foreign_key: {table: orders, columns: [user_id], references: {table: users, columns: [id]}}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 2U);
    EXPECT_TRUE(planned.steps[0].transactional);
    EXPECT_EQ(planned.steps.back().phase, Phase::backfill);
}

TEST(AddForeignKey, RefusesReferencedColumnsWithoutAUniqueKey) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: f
changes:
  - add_foreign_key: {table: orders, columns: [reference], references: {table: users, columns: [email]}}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(no unique constraint on "users" ("email") for foreign key )"
                              R"("orders_reference_fkey" to reference)");
}

TEST(AddForeignKey, AcceptsAUniqueKeyAnEarlierChangeAdds) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: f
changes:
  - add_unique: {table: users, columns: [email]}
  - add_foreign_key: {table: orders, columns: [reference], references: {table: users, columns: [email]}}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

TEST(AddForeignKey, ReportsUnknownTablesAndColumnsWithSuggestions) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: f
changes:
  - add_foreign_key: {table: orders, columns: [usr_id], references: {table: user}}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(table "public"."user" does not exist)");
    EXPECT_EQ(all[0].hint, R"(did you mean "users"?)");
    EXPECT_EQ(all[1].message, R"(column "orders"."usr_id" (referencing) does not exist)");
}

TEST(AddForeignKey, ATableWithoutPrimaryKeyNeedsItsColumnsNamed) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: f
changes:
  - add_foreign_key: {table: orders, columns: [user_id], references: {table: audit_events}}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(foreign key "orders_user_id_fkey" references table )"
                              R"("audit_events", which has no primary key)");
}

} // namespace
} // namespace pgphase::planners
