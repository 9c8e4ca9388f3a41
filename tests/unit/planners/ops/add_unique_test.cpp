// add_unique and add_primary_key: a unique index built concurrently at expand with duplicates
// described for its failure, attached USING INDEX at contract; NOT NULL for a primary key
// through validated checks.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::plan_with_catalog;

TEST(AddUnique, BuildsAUniqueIndexConcurrentlyAndAttachesItAtContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: u
changes:
  - add_unique: {table: orders, columns: [user_id, reference]}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 2U);
    const Step& build = planned.steps[0];
    EXPECT_EQ(build.phase, Phase::expand);
    EXPECT_FALSE(build.transactional);
    EXPECT_EQ(build.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(
        build.sql.at(0),
        R"(CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "orders_user_id_reference_key" ON "public"."orders" ("user_id", "reference"))");
    ASSERT_TRUE(build.concurrent_index);
    EXPECT_EQ(build.concurrent_index->index.sql(), R"("public"."orders_user_id_reference_key")");
    EXPECT_EQ(build.undo.at(0),
              R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."orders_user_id_reference_key")");
    EXPECT_FALSE(build.undo_transactional);
    EXPECT_EQ(
        build.violation_count_sql,
        R"(SELECT COALESCE(sum(pgphase_count), 0) FROM (SELECT "user_id", "reference", count(*) AS pgphase_count FROM "public"."orders" WHERE "user_id" IS NOT NULL AND "reference" IS NOT NULL GROUP BY "user_id", "reference" HAVING count(*) > 1) AS pgphase_duplicates)");
    EXPECT_NE(build.violation_examples_sql.find("' is held by '"), std::string::npos);

    const Step& attach = planned.steps[1];
    EXPECT_EQ(attach.phase, Phase::contract);
    EXPECT_EQ(attach.lock, LockLevel::access_exclusive);
    EXPECT_EQ(
        attach.sql,
        (std::vector<std::string>{
            R"(ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_user_id_reference_key" UNIQUE USING INDEX "orders_user_id_reference_key")"}));
}

TEST(AddUnique, RefusesANameThatIsTaken) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: u
changes:
  - add_unique: {table: orders, name: users_pkey, columns: [reference]}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(relation "public"."users_pkey" already exists)");
}

TEST(AddPrimaryKey, NullableColumnsGoThroughAValidatedCheckIdentityColumnsDoNot) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: p
changes:
  - add_primary_key: {table: audit_events, columns: [tenant_id, id]}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 4U);
    const Step& checks = planned.steps[0];
    EXPECT_EQ(checks.lock, LockLevel::access_exclusive);
    EXPECT_EQ(
        checks.sql,
        (std::vector<std::string>{
            R"(ALTER TABLE "public"."audit_events" ADD CONSTRAINT "audit_events_tenant_id_not_null" CHECK ("tenant_id" IS NOT NULL) NOT VALID)"}));
    EXPECT_EQ(checks.undo.size(), 1U);
    EXPECT_FALSE(planned.steps[1].transactional);
    EXPECT_EQ(planned.steps[2].phase, Phase::backfill);
    EXPECT_TRUE(any_contains(planned.steps[2].sql,
                             "VALIDATE CONSTRAINT \"audit_events_tenant_id_not_null\""));
    const Step& attach = planned.steps[3];
    EXPECT_EQ(
        attach.sql,
        (std::vector<std::string>{
            R"(ALTER TABLE "public"."audit_events" ALTER COLUMN "tenant_id" SET NOT NULL)",
            R"(ALTER TABLE "public"."audit_events" ADD CONSTRAINT "audit_events_pkey" PRIMARY KEY USING INDEX "audit_events_pkey")",
            R"(ALTER TABLE "public"."audit_events" DROP CONSTRAINT IF EXISTS "audit_events_tenant_id_not_null")"}));
}

TEST(AddPrimaryKey, RefusesATableThatHasOne) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: p
changes:
  - add_primary_key: {table: orders, name: orders_pk2, columns: [reference]}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(table "orders" already has a primary key ("id"))");
    EXPECT_NE(all[0].hint.find("add_unique"), std::string::npos);
}

} // namespace
} // namespace pgphase::planners
