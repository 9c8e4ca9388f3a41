// Statement groups that map one by one but not together stay SQL, in order, so the plan runs.
#include "convert_test_support.hpp"
#include "planners/plan/planner.hpp"

#include <algorithm>

namespace pgphase::planners::convert {
namespace {

bool all_sql(const std::vector<Change>& changes) {
    return std::all_of(changes.begin(), changes.end(), [](const Change& change) {
        return std::holds_alternative<RawSql>(change.operation);
    });
}

TEST(ConvertConflicts, ConstraintDroppedAndAddedUnderTheSameNameStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE "Post" DROP CONSTRAINT "Post_userId_fkey";
ALTER TABLE "Post" ADD CONSTRAINT "Post_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE;)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(all_sql(changes));
}

// Prisma renames a table, then its constraints under the new name: operations the planner
// runs on the old name until contract renames the table last.
TEST(ConvertConflicts, TableRenamedThenItsConstraintsUnderTheNewNameMapAndPlan) {
    const Converted converted = convert_and_load(R"(
ALTER TABLE "App" RENAME TO "Resource";
ALTER TABLE "Resource" RENAME CONSTRAINT "App_pkey" TO "Resource_pkey";
ALTER TABLE "Resource" ADD COLUMN "note" TEXT;
ALTER TABLE "Other" RENAME COLUMN "a" TO "b";)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.result.yaml;
    const auto& changes = converted.loaded.plan->changes;
    ASSERT_EQ(changes.size(), 4U) << converted.result.yaml;
    EXPECT_TRUE(std::holds_alternative<RenameTable>(changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<RenameConstraint>(changes[1].operation));
    EXPECT_TRUE(std::holds_alternative<AddColumn>(changes[2].operation));
    EXPECT_TRUE(std::holds_alternative<RenameColumn>(changes[3].operation));
    const PlannedMigration planned = plan_migration(*converted.loaded.plan, nullptr);
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

TEST(ConvertConflicts, TableRenamedThenAStatementOnItThatStaysSqlKeepsThemAllSql) {
    const Converted converted = convert_and_load(R"(
ALTER TABLE "App" RENAME TO "Resource";
ALTER TABLE "Resource" RENAME CONSTRAINT "App_pkey" TO "Resource_pkey";
INSERT INTO "Resource" ("id") VALUES (1);
ALTER TABLE "Other" RENAME COLUMN "a" TO "b";)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.result.yaml;
    const auto& changes = converted.loaded.plan->changes;
    ASSERT_EQ(changes.size(), 4U);
    EXPECT_TRUE(all_sql({changes.begin(), changes.begin() + 3})) << converted.result.yaml;
    EXPECT_TRUE(std::holds_alternative<RenameColumn>(changes[3].operation));
    EXPECT_NE(converted.result.yaml.find("line 4 on it runs as written"), std::string::npos)
        << converted.result.yaml;
    EXPECT_FALSE(plan_migration(*converted.loaded.plan, nullptr).diagnostics.has_errors());
}

TEST(ConvertConflicts, TableRenamedAndItsOldNameTakenAgainStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE "App" RENAME TO "Resource";
CREATE TABLE "App" ("id" INTEGER NOT NULL);
ALTER TABLE "Resource" ADD COLUMN "note" TEXT;)");
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_TRUE(all_sql(changes));
}

TEST(ConvertConflicts, ColumnRenamedAndChangedAgainStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE users RENAME COLUMN email_verified TO email_verified_old;
ALTER TABLE users ALTER COLUMN email_verified_old DROP NOT NULL;)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(all_sql(changes));
}

TEST(ConvertConflicts, UpdateFillingAColumnTheFileAddsStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE "Asset" ADD COLUMN "valueJson" JSONB;
UPDATE "Asset" SET "valueJson" = to_jsonb("value");)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<AddColumn>(changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<RawSql>(changes[1].operation));
}

TEST(ConvertConflicts, ExplicitTransactionIsLeftOutWithANote) {
    const Converted converted = convert_and_load("BEGIN;\nALTER TABLE t RENAME a TO b;\nCOMMIT;\n");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    only<RenameColumn>(converted.loaded.plan->changes);
    EXPECT_NE(converted.result.yaml.find("# line 1: `BEGIN` left out"), std::string::npos)
        << converted.result.yaml;
}

TEST(ConvertTransactions, StatementsARollbackUndoesBecomeNoOperationButANote) {
    const Converted converted = convert_and_load("BEGIN;\nDROP TABLE \"Old\";\n"
                                                 "ALTER TABLE \"User\" DROP COLUMN \"name\";\n"
                                                 "ROLLBACK;\nALTER TABLE t RENAME a TO b;\n");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    only<RenameColumn>(converted.loaded.plan->changes);
    EXPECT_NE(converted.result.yaml.find("# line 2: `DROP TABLE \"Old\"` left out: the ROLLBACK "
                                         "at line 4 undoes it, so it never takes effect"),
              std::string::npos)
        << converted.result.yaml;
    EXPECT_EQ(converted.result.yaml.find("drop_"), std::string::npos) << converted.result.yaml;
}

TEST(ConvertTransactions, RollbackToSavepointDropsOnlyTheUndoneStatements) {
    const auto changes = changes_of("BEGIN;\nALTER TABLE t RENAME a TO b;\nSAVEPOINT s;\n"
                                    "DROP TABLE t2;\nROLLBACK TO SAVEPOINT s;\nCOMMIT;\n");
    only<RenameColumn>(changes);
}

TEST(ConvertTransactions, ABackfillAndTheTriggersKeepingItRightStayOneSqlChange) {
    const Converted converted = convert_and_load(R"(BEGIN;
ALTER TABLE "Post" ADD COLUMN "commentCount" INTEGER NOT NULL DEFAULT 0;
UPDATE "Post" SET "commentCount" = (SELECT count(*) FROM "Comment" c WHERE c."postId" = "Post".id);
CREATE FUNCTION count_comments() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  UPDATE "Post" SET "commentCount" = "commentCount" + 1 WHERE id = NEW."postId"; RETURN NEW; END $$;
CREATE TRIGGER comment_count AFTER INSERT ON "Comment" FOR EACH ROW EXECUTE FUNCTION count_comments();
COMMIT;
ALTER TABLE t RENAME a TO b;
)");
    ASSERT_TRUE(converted.loaded.plan.has_value())
        << converted.loaded.diagnostics.to_string() << converted.result.yaml;
    const auto& changes = converted.loaded.plan->changes;
    ASSERT_EQ(changes.size(), 2U) << converted.result.yaml;
    ASSERT_TRUE(std::holds_alternative<RawSql>(changes[0].operation));
    EXPECT_EQ(std::get<RawSql>(changes[0].operation).up.statements.size(), 4U);
    EXPECT_TRUE(std::holds_alternative<RenameColumn>(changes[1].operation));
    EXPECT_NE(converted.result.yaml.find("# lines 2-6: kept as one SQL change: the BEGIN ... "
                                         "COMMIT of lines 1-7 holds a statement (line 3 "
                                         "(UpdateStmt))"),
              std::string::npos)
        << converted.result.yaml;
    EXPECT_EQ(converted.result.raw_sql, 1);
    EXPECT_EQ(converted.result.operations, 1);
}

TEST(ConvertTransactions, ABlockOfTableDdlOnlyIsStillConvertedStatementByStatement) {
    const auto changes = changes_of("BEGIN;\nALTER TABLE t RENAME a TO b;\n"
                                    "CREATE INDEX i ON u (c);\nCOMMIT;\n");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<RenameColumn>(changes[0].operation));
}

} // namespace
} // namespace pgphase::planners::convert
