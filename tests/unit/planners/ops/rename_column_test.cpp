// rename_column: shadow column + two-way sync trigger in one transaction, backfill, swap.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::plan_with_catalog;

const char* rename_plan = R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
)";

TEST(RenameColumn, CreatesColumnCheckAndTriggerInOneTransaction) {
    const PlannedMigration planned = plan_with_catalog(rename_plan);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U); // one step = one transaction: no window without the trigger
    const Step& step = *expand[0];
    EXPECT_TRUE(step.transactional);
    EXPECT_EQ(step.lock, LockLevel::access_exclusive);
    ASSERT_EQ(step.sql.size(), 4U);
    EXPECT_EQ(step.sql[0], R"(ALTER TABLE "public"."users" ADD COLUMN "email_address" text)");
    EXPECT_EQ(step.sql[1], R"(ALTER TABLE "public"."users" ADD CONSTRAINT )"
                           R"("users_email_address_not_null" CHECK ("email_address" IS NOT NULL) )"
                           R"(NOT VALID)");
    EXPECT_NE(step.sql[2].find("CREATE OR REPLACE FUNCTION \"pgphase\".\"pgphase_r_1\"()"),
              std::string::npos);
    EXPECT_NE(step.sql[3].find("BEFORE INSERT OR UPDATE ON \"public\".\"users\" FOR EACH ROW"),
              std::string::npos);
}

TEST(RenameColumn, DecidesTheWritingSideFromWhatTheWriteChanged) {
    const PlannedMigration planned = plan_with_catalog(rename_plan);
    const std::string& function = planned.phase_steps(Phase::expand)[0]->sql[2];
    EXPECT_EQ(function.find("search_path = current_setting"), std::string::npos);
    EXPECT_NE(function.find(R"(NEW."email"::text IS DISTINCT FROM OLD."email"::text)"),
              std::string::npos);
    EXPECT_NE(
        function.find(R"(NEW."email_address"::text IS DISTINCT FROM OLD."email_address"::text)"),
        std::string::npos);
}

TEST(RenameColumn, BackfillIsDataWithAnIdempotentPendingPredicate) {
    const PlannedMigration planned = plan_with_catalog(rename_plan);
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 2U);
    ASSERT_TRUE(backfill[0]->backfill);
    const BackfillTask& task = *backfill[0]->backfill;
    EXPECT_EQ(task.table.sql(), R"("public"."users")");
    ASSERT_EQ(task.set.size(), 1U);
    EXPECT_EQ(task.set[0].column, "email_address");
    EXPECT_EQ(task.set[0].expression, R"("email")");
    EXPECT_EQ(task.pending_predicate, R"("email_address"::text IS DISTINCT FROM "email"::text)");
    EXPECT_EQ(backfill[1]->sql.at(0), R"(ALTER TABLE "public"."users" VALIDATE CONSTRAINT )"
                                      R"("users_email_address_not_null")");
    EXPECT_EQ(backfill[1]->lock, LockLevel::share_update_exclusive);
}

TEST(RenameColumn, ContractDropsOldColumnThenCarriesDefaultAndNotNull) {
    const PlannedMigration planned = plan_with_catalog(rename_plan);
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 1U);
    const auto& sql = contract[0]->sql;
    ASSERT_EQ(sql.size(), 6U);
    EXPECT_EQ(sql[2], R"(ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "email")");
    EXPECT_EQ(
        sql[3],
        R"(ALTER TABLE "public"."users" ALTER COLUMN "email_address" SET DEFAULT 'none'::text)");
    EXPECT_EQ(sql[4], R"(ALTER TABLE "public"."users" ALTER COLUMN "email_address" SET NOT NULL)");
    EXPECT_TRUE(contract[0]->undo.empty());
}

TEST(RenameColumn, UndoOfExpandDropsTriggerFunctionAndNewColumn) {
    const PlannedMigration planned = plan_with_catalog(rename_plan);
    const auto& undo = planned.phase_steps(Phase::expand)[0]->undo;
    ASSERT_EQ(undo.size(), 3U);
    EXPECT_TRUE(any_contains(undo, R"(DROP TRIGGER IF EXISTS "pgphase_r_1")"));
    EXPECT_TRUE(any_contains(undo, R"(DROP FUNCTION IF EXISTS "pgphase"."pgphase_r_1"())"));
    EXPECT_EQ(undo[2], R"(ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "email_address")");
}

TEST(RenameColumn, ReportsUnknownColumnWithSuggestion) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - rename_column: {table: users, from: emial, to: email_address}
)");
    ASSERT_TRUE(planned.diagnostics.has_errors());
    const Diagnostic& d = planned.diagnostics.all()[0];
    EXPECT_EQ(d.message, R"(column "users"."emial" (from) does not exist)");
    EXPECT_EQ(d.hint, R"(did you mean "email"?)");
    EXPECT_EQ(d.mark.line, 4);
}

TEST(RenameColumn, RefusesTargetThatExistsAndUnknownTable) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: name}
  - rename_column: {table: user, from: email, to: x}
)");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "users"."name" already exists)");
    EXPECT_EQ(all[1].message, R"(table "public"."user" does not exist)");
    EXPECT_EQ(all[1].hint, R"(did you mean "users"?)");
}

TEST(RenameColumn, CarriesIndexesOverToTheNewColumnInsteadOfRefusing) {
    planners::Catalog catalog = testing::fixture_catalog();
    catalog.tables[0].indexes.push_back(
        {"users_email_key",
         true,
         false,
         true,
         {"email"},
         "CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email))"});
    const Plan plan = testing::load(rename_plan);
    const PlannedMigration planned = plan_migration(plan, &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 3U);
    EXPECT_EQ(backfill[2]->sql.at(0),
              R"(CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "_pgphase_new_users_email_key" )"
              R"(ON "public"."users" USING btree (lower("email_address")))");
    EXPECT_FALSE(backfill[2]->transactional);
    EXPECT_EQ(planned.phase_steps(Phase::contract)[0]->sql.back(),
              R"(ALTER INDEX "public"."_pgphase_new_users_email_key" RENAME TO "users_email_key")");
}

TEST(RenameColumn, CarriesChecksAndUniqueConstraintsOver) {
    planners::Catalog catalog = testing::fixture_catalog();
    auto& users = catalog.tables[0];
    users.indexes.push_back({"users_email_uq",
                             true,
                             false,
                             true,
                             {},
                             "CREATE UNIQUE INDEX "
                             "users_email_uq ON public.users USING btree (email)"});
    users.constraints.push_back({"users_email_uq", 'u', true, {"email"}, "UNIQUE (email)"});
    users.constraints.push_back(
        {"users_email_check", 'c', true, {"email"}, "CHECK ((email ~~ '%@%'::text))"});
    const PlannedMigration planned = plan_migration(testing::load(rename_plan), &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 5U);
    EXPECT_EQ(backfill[3]->sql.at(0),
              R"(ALTER TABLE "public"."users" ADD CONSTRAINT "_pgphase_new_users_email_check" )"
              R"(CHECK (("email_address" ~~ '%@%'::text)) NOT VALID)");
    const auto& contract = planned.phase_steps(Phase::contract)[0]->sql;
    EXPECT_TRUE(any_contains(contract, R"(ADD CONSTRAINT "users_email_uq" UNIQUE USING INDEX )"
                                       R"("_pgphase_new_users_email_uq")"));
    EXPECT_TRUE(any_contains(contract, R"(RENAME CONSTRAINT "_pgphase_new_users_email_check" TO )"
                                       R"("users_email_check")"));
}

TEST(RenameColumn, StillRefusesPrimaryKeyAndSerialColumnsWithAHint) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - rename_column: {table: users, from: id, to: user_id}
)");
    const std::string all = planned.diagnostics.to_string();
    EXPECT_NE(all.find(R"(cannot rename column "users"."id": it is part of the primary key)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("takes its default from a sequence"), std::string::npos) << all;
    EXPECT_NE(all.find("RENAME COLUMN is instant"), std::string::npos) << all;
}

TEST(RenameColumn, RefusesRenamingAColumnAnEarlierChangeAlreadyChanges) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - change_type: {table: users, column: name, type: varchar(100)}
  - rename_column: {table: users, from: name, to: full_name}
)");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              R"(column "users"."name" is already changed by change_type at test.yaml:4 in this )"
              R"(plan)");
}

TEST(RenameColumn, WithoutCatalogSaysWhatItCouldNotCheck) {
    const PlannedMigration planned = plan_migration(testing::load(rename_plan), nullptr);
    EXPECT_FALSE(planned.diagnostics.has_errors());
    ASSERT_EQ(planned.unchecked.size(), 2U);
    EXPECT_NE(planned.unchecked[1].find("type, DEFAULT and NOT NULL"), std::string::npos);
    EXPECT_NE(planned.phase_steps(Phase::expand)[0]->sql[0].find("<type of"), std::string::npos);
}

} // namespace
} // namespace pgphase::planners
