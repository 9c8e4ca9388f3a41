// rename_column: in the catalog by default (the version view shows the new name, contract
// renames); with method: copy, shadow column + two-way sync trigger, backfill, swap.
#include "planners/ops/registry.hpp"
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

const char* copy_plan = R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)";

// --- the catalog-only rename (the default) ---

TEST(RenameColumn, ByDefaultRenamesInTheCatalogAtContractAndMovesNoData) {
    const PlannedMigration planned = plan_with_catalog(rename_plan);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_TRUE(planned.phase_steps(Phase::expand).empty());
    EXPECT_TRUE(planned.phase_steps(Phase::backfill).empty());
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 1U);
    EXPECT_EQ(contract[0]->lock, LockLevel::access_exclusive);
    EXPECT_TRUE(contract[0]->transactional);
    ASSERT_EQ(contract[0]->sql.size(), 1U);
    EXPECT_EQ(contract[0]->sql[0],
              R"(ALTER TABLE "public"."users" RENAME COLUMN "email" TO "email_address")");
    EXPECT_TRUE(planned.diagnostics.all().empty()) << planned.diagnostics.to_string();
}

TEST(RenameColumn, TheVersionViewShowsTheColumnUnderItsNewNameFromExpand) {
    const planners::Catalog catalog = testing::fixture_catalog();
    PlanningOptions options;
    options.version_schema = true;
    const PlannedMigration planned = plan_migration(testing::load(rename_plan), &catalog, options);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U); // the version schema, right after start: no backfill to wait for
    EXPECT_TRUE(any_contains(expand[0]->sql, R"(CREATE VIEW "public_r"."users" AS SELECT)"));
    EXPECT_TRUE(any_contains(expand[0]->sql, "\"email\" AS \"email_address\",\n"));
}

TEST(RenameColumn, RenamesIndexAndConstraintNamesBuiltFromTheColumn) {
    planners::Catalog catalog = testing::fixture_catalog();
    auto& users = catalog.tables[0];
    users.indexes.push_back({"users_email_key", true, false, true, {"email"}, ""});
    users.constraints.push_back({"users_email_key", 'u', true, {"email"}, "UNIQUE (email)"});
    users.indexes.push_back({"users_name_email_idx", false, false, true, {"email", "name"}, ""});
    users.indexes.back().key_columns = {"name", "email"};
    users.constraints.push_back(
        {"users_email_check", 'c', true, {"email"}, "CHECK ((email <> ''::text))"});
    users.indexes.push_back({"users_email_lower", false, false, true, {"email"}, ""});
    users.indexes.push_back({"users_email_idx", false, false, true, {"email"}, ""});
    users.indexes.back().key_columns = {"email"};
    users.constraints.push_back({"users_email_fkey",
                                 'f',
                                 true,
                                 {"email"},
                                 "FOREIGN KEY (users_email) REFERENCES users(email)",
                                 true});
    catalog.relations.push_back({"public", "users_email_address_idx", 'i'}); // taken
    const PlannedMigration planned = plan_migration(testing::load(rename_plan), &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto& sql = planned.phase_steps(Phase::contract)[0]->sql;
    ASSERT_EQ(sql.size(), 4U);
    EXPECT_EQ(sql[1], R"(ALTER TABLE "public"."users" RENAME CONSTRAINT "users_email_key" TO )"
                      R"("users_email_address_key")");
    EXPECT_EQ(sql[2], R"(ALTER TABLE "public"."users" RENAME CONSTRAINT "users_email_check" TO )"
                      R"("users_email_address_check")");
    EXPECT_EQ(sql[3], R"(ALTER INDEX "public"."users_name_email_idx" RENAME TO )"
                      R"("users_name_email_address_idx")");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U);
    EXPECT_EQ(planned.diagnostics.all()[0].severity, Severity::note);
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              R"("users_email_idx" keeps its name at contract: "users_email_address_idx" is )"
              R"(taken)");
}

TEST(RenameColumn, RenameIndexesFalseKeepsEveryName) {
    planners::Catalog catalog = testing::fixture_catalog();
    catalog.tables[0].indexes.push_back({"users_email_idx", false, false, true, {"email"}, ""});
    catalog.tables[0].indexes.back().key_columns = {"email"};
    const PlannedMigration planned = plan_migration(testing::load(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address, rename_indexes: false}
)"),
                                                    &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.phase_steps(Phase::contract)[0]->sql.size(), 1U);
}

TEST(RenameColumn, KeepsAnIndexNameAnotherChangeNames) {
    planners::Catalog catalog = testing::fixture_catalog();
    catalog.tables[0].indexes.push_back({"users_email_idx", false, false, true, {"email"}, ""});
    catalog.tables[0].indexes.back().key_columns = {"email"};
    catalog.relations.push_back({"public", "users_email_idx", 'i'});
    const PlannedMigration planned = plan_migration(testing::load(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - drop_index: {name: users_email_idx}
)"),
                                                    &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.phase_steps(Phase::contract)[0]->sql.size(), 1U);
    EXPECT_NE(planned.diagnostics.to_string().find(
                  R"("users_email_idx" keeps its name at contract: change 2 (drop_index) at )"
                  R"(test.yaml:5 names it)"),
              std::string::npos)
        << planned.diagnostics.to_string();
}

TEST(RenameColumn, CopiesWhenALaterChangeNamesTheColumnAndSaysWhy) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - create_index: {table: users, name: users_email_address_idx, columns: [email_address]}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_FALSE(planned.phase_steps(Phase::backfill).empty());
    EXPECT_EQ(planned.phase_steps(Phase::expand)[0]->sql[0],
              R"(ALTER TABLE "public"."users" ADD COLUMN "email_address" text)");
    const Diagnostic& note = planned.diagnostics.all().at(0);
    EXPECT_EQ(note.severity, Severity::note);
    EXPECT_EQ(note.message, R"("users"."email" is renamed through a copy of the column: change 2 )"
                            R"((create_index) at test.yaml:5 names "users"."email_address", )"
                            R"(which needs both names on the table until contract)");
}

TEST(RenameColumn, CopiesWhenALaterExpressionReadsTheOldName) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - add_column: {table: users, column: {name: domain, type: text}, up: "split_part(email, '@', 2)"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_NE(planned.diagnostics.to_string().find(R"(names "users"."email",)"), std::string::npos)
        << planned.diagnostics.to_string();
}

TEST(RenameColumn, StaysInTheCatalogBesideChangesOfOtherColumnsAndTables) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - add_column: {table: users, column: {name: email_domain, type: text}, up: "upper(name)"}
  - create_index: {table: orders, name: orders_state_idx, columns: [status]}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_TRUE(planned.diagnostics.all().empty()) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.phase_steps(Phase::contract)[0]->sql[0],
              R"(ALTER TABLE "public"."users" RENAME COLUMN "email" TO "email_address")");
}

TEST(RenameColumn, CopiesInAPlanWithRawSql) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - sql: {up: "CREATE TABLE t (id int)", down: "DROP TABLE t"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_NE(planned.diagnostics.to_string().find("is raw SQL: such a migration gets no version "
                                                   "schema"),
              std::string::npos)
        << planned.diagnostics.to_string();
    EXPECT_FALSE(planned.phase_steps(Phase::backfill).empty());
}

TEST(RenameColumn, RenamesPrimaryKeyAndSerialColumnsInTheCatalog) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - rename_column: {table: users, from: id, to: user_id}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.phase_steps(Phase::contract)[0]->sql[0],
              R"(ALTER TABLE "public"."users" RENAME COLUMN "id" TO "user_id")");
}

TEST(RenameColumn, RefusesAnUnknownMethodAtItsPosition) {
    const planners::LoadResult loaded = planners::load_plan_text(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address, method: move}
)",
                                                                 "test.yaml");
    ASSERT_FALSE(loaded.plan);
    const Diagnostic& d = loaded.diagnostics.all().at(0);
    EXPECT_EQ(d.message, R"("method" in rename_column must be auto or copy, not "move")");
    EXPECT_EQ(d.mark.line, 4);
}

TEST(RenameColumn, DefaultsLeaveTheChecksumAsBefore) {
    const Plan plan = testing::load(rename_plan);
    EXPECT_EQ(unit_of(plan.changes[0].operation).canonical(plan.changes[0].operation),
              R"(rename_column "users" "email" "email_address")");
    const Plan copy = testing::load(copy_plan);
    EXPECT_NE(checksum(plan), checksum(copy));
}

// --- the copy path (method: copy) ---

TEST(RenameColumn, CreatesColumnCheckAndTriggerInOneTransaction) {
    const PlannedMigration planned = plan_with_catalog(copy_plan);
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
    const PlannedMigration planned = plan_with_catalog(copy_plan);
    const std::string& function = planned.phase_steps(Phase::expand)[0]->sql[2];
    EXPECT_EQ(function.find("search_path = current_setting"), std::string::npos);
    EXPECT_NE(function.find(R"(NEW."email"::text IS DISTINCT FROM OLD."email"::text)"),
              std::string::npos);
    EXPECT_NE(
        function.find(R"(NEW."email_address"::text IS DISTINCT FROM OLD."email_address"::text)"),
        std::string::npos);
}

TEST(RenameColumn, BackfillIsDataWithAnIdempotentPendingPredicate) {
    const PlannedMigration planned = plan_with_catalog(copy_plan);
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
    const PlannedMigration planned = plan_with_catalog(copy_plan);
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 1U);
    const auto& sql = contract[0]->sql;
    ASSERT_EQ(sql.size(), 6U);
    EXPECT_EQ(sql[2], R"(SELECT "pgphase"."keep_column"('"public"."users"', 'email', )"
                      R"('_pgphase_dropped_a256fcc8_email', '_pgphase_written_a256fcc8', 'r', 1, )"
                      R"('7 days'))");
    EXPECT_EQ(
        sql[3],
        R"(ALTER TABLE "public"."users" ALTER COLUMN "email_address" SET DEFAULT 'none'::text)");
    EXPECT_EQ(sql[4], R"(ALTER TABLE "public"."users" ALTER COLUMN "email_address" SET NOT NULL)");
    EXPECT_TRUE(contract[0]->undo.empty());
}

TEST(RenameColumn, UndoOfExpandDropsTriggerFunctionAndNewColumn) {
    const PlannedMigration planned = plan_with_catalog(copy_plan);
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
    const Plan plan = testing::load(copy_plan);
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
    const PlannedMigration planned = plan_migration(testing::load(copy_plan), &catalog);
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

TEST(RenameColumn, ACopyStillRefusesPrimaryKeyAndSerialColumnsWithAHint) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: r
changes:
  - rename_column: {table: users, from: id, to: user_id, method: copy}
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
    const PlannedMigration in_catalog = plan_migration(testing::load(rename_plan), nullptr);
    EXPECT_FALSE(in_catalog.diagnostics.has_errors());
    ASSERT_EQ(in_catalog.unchecked.size(), 2U);
    EXPECT_NE(in_catalog.unchecked[1].find("index and constraint names"), std::string::npos);
    const PlannedMigration planned = plan_migration(testing::load(copy_plan), nullptr);
    EXPECT_FALSE(planned.diagnostics.has_errors());
    ASSERT_EQ(planned.unchecked.size(), 2U);
    EXPECT_NE(planned.unchecked[1].find("type, DEFAULT and NOT NULL"), std::string::npos);
    EXPECT_NE(planned.phase_steps(Phase::expand)[0]->sql[0].find("<type of"), std::string::npos);
}

} // namespace
} // namespace pgphase::planners
