// drop_not_null: at expand (the new version may write NULLs); rollback restores NOT NULL
// through a NOT VALID check and VALIDATE, failing with the offending rows if NULLs were written.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(DropNotNull, DropsAtExpandAndUndoesThroughACheckValidatedOutsideTheExclusiveLock) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_not_null: {table: users, column: email}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 2U);
    for (const Step& step : planned.steps) {
        EXPECT_EQ(step.phase, Phase::expand);
        EXPECT_TRUE(step.transactional);
    }
    const Step& restore = planned.steps[0];
    const Step& drop = planned.steps[1];
    EXPECT_TRUE(restore.sql.empty());
    EXPECT_EQ(restore.lock, LockLevel::none);
    EXPECT_EQ(drop.lock, LockLevel::access_exclusive);
    EXPECT_EQ(drop.sql, std::vector<std::string>{
                            R"(ALTER TABLE "public"."users" ALTER COLUMN "email" DROP NOT NULL)"});
    // Rollback runs drop's undo first (no new NULL from then on), then restore's.
    EXPECT_EQ(drop.undo, std::vector<std::string>{R"(ALTER TABLE "public"."users" ADD CONSTRAINT )"
                                                  R"("users_email_not_null" CHECK ("email" IS )"
                                                  R"(NOT NULL) NOT VALID)"});
    ASSERT_EQ(restore.undo.size(), 3U);
    EXPECT_NE(restore.undo[0].find(R"(VALIDATE CONSTRAINT "users_email_not_null")"),
              std::string::npos);
    EXPECT_NE(restore.undo[0].find("IF EXISTS (SELECT FROM pg_catalog.pg_constraint"),
              std::string::npos);
    EXPECT_EQ(restore.undo[1], R"(ALTER TABLE "public"."users" ALTER COLUMN "email" SET NOT NULL)");
    EXPECT_EQ(restore.undo[2],
              R"(ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_email_not_null")");
    // A rollback that finds NULLs says how many and which.
    EXPECT_EQ(restore.violation_count_sql,
              R"(SELECT count(*) FROM "public"."users" WHERE "email" IS NULL)");
    EXPECT_NE(
        restore.violation_examples_sql.find(
            R"('(id)=(' || concat_ws(', ', COALESCE(pgphase_row."id"::text, 'NULL')) || ')')"),
        std::string::npos);
}

TEST(DropNotNull, RefusesNullableIdentityAndPrimaryKeyColumns) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_not_null: {table: users, column: name}
  - drop_not_null: {table: users, column: id}
  - drop_not_null: {table: orders, column: id}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 3U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "users"."name" is already nullable)");
    EXPECT_EQ(all[1].message, R"(column "users"."id" is part of the primary key)");
    EXPECT_EQ(all[2].message, R"(column "orders"."id" is part of the primary key)");
}

TEST(DropNotNull, LeavesTheColumnNullableInTheWorkingCatalog) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_not_null: {table: users, column: email}
  - set_not_null: {table: users, column: email}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
