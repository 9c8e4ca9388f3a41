// add-column-volatile-default, add-column-not-null-no-default, set-not-null, rename-column,
// rename-table, drop-column, drop-table and probable-rename.
#include "tests/unit/planners/lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint::testing {
namespace {

using Rules = std::vector<std::string>;

TEST(LintAddColumn, ConstantAndStableDefaultsDoNotRewrite) {
    for (const char* sql : {
             "ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0;",
             "ALTER TABLE t ADD COLUMN a text DEFAULT 'x'::text;",
             "ALTER TABLE t ADD COLUMN a timestamptz NOT NULL DEFAULT now();",
             "ALTER TABLE t ADD COLUMN a timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP;",
             "ALTER TABLE t ADD COLUMN a jsonb NOT NULL DEFAULT '{}';",
             "ALTER TABLE t ADD COLUMN a text[] DEFAULT ARRAY[]::text[];",
             "ALTER TABLE t ADD COLUMN a int DEFAULT (1 + 2);",
         }) {
        EXPECT_TRUE(blocking_rules(lint_sql(sql)).empty()) << sql;
    }
}

TEST(LintAddColumn, VolatileDefaultRewritesTheTable) {
    const LintResult result =
        lint_sql("ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid();");
    ASSERT_EQ(blocking_rules(result), Rules{"add-column-volatile-default"});
    EXPECT_NE(result.findings.back().message.find("gen_random_uuid()"), std::string::npos);
    EXPECT_EQ(result.findings.back().effect, "rewrites the table");
}

TEST(LintAddColumn, UnknownFunctionIsAssumedVolatileAndSaysSo) {
    const LintResult result = lint_sql("ALTER TABLE t ADD COLUMN a text DEFAULT my_func();");
    const auto found = of_rule(result, "add-column-volatile-default");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_NE(found.front()->message.find("assumed"), std::string::npos);
}

TEST(LintAddColumn, SerialIdentityAndStoredGeneratedColumnsRewrite) {
    EXPECT_TRUE(
        fires(lint_sql("ALTER TABLE t ADD COLUMN n serial;"), "add-column-volatile-default"));
    EXPECT_TRUE(fires(lint_sql("ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;"),
                      "add-column-volatile-default"));
    EXPECT_TRUE(
        fires(lint_sql("ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS (a * 2) STORED;"),
              "add-column-volatile-default"));
}

TEST(LintAddColumn, NotNullWithoutDefaultFailsOnAPopulatedTable) {
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE \"User\" ADD COLUMN \"updatedAt\" TIMESTAMP(3) "
                                      "NOT NULL;")),
              Rules{"add-column-not-null-no-default"});
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER TABLE t ADD COLUMN a text;")).empty());
}

TEST(LintAddColumn, NewTableInTheSameFileIsExemptWithOrWithoutATransaction) {
    for (const char* prefix : {"", "BEGIN;\n"}) {
        const std::string sql =
            std::string(prefix) +
            "CREATE TABLE t (id int);\n"
            "ALTER TABLE t ADD COLUMN a text NOT NULL;\n"
            "ALTER TABLE t ADD COLUMN b uuid DEFAULT gen_random_uuid();\n"
            "ALTER TABLE t ALTER COLUMN id SET NOT NULL;\n"
            "ALTER TABLE t ALTER COLUMN id TYPE bigint;\n"
            "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);\n"
            "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES o (id);\n"
            "UPDATE t SET a = 'x';\n"
            "ALTER TABLE t DROP COLUMN a;\n"
            "ALTER TABLE t RENAME COLUMN b TO c;\n";
        EXPECT_TRUE(blocking_rules(lint_sql(sql)).empty()) << sql;
    }
}

TEST(LintSetNotNull, WithoutAValidatedCheckScansTheTable) {
    const LintResult result = lint_sql("ALTER TABLE t ALTER COLUMN a SET NOT NULL;");
    EXPECT_EQ(blocking_rules(result), Rules{"set-not-null"});
    EXPECT_EQ(result.findings.back().effect, "scans the table");
}

TEST(LintSetNotNull, AfterAValidatedNotNullCheckIsFine) {
    const LintResult result =
        lint_sql("ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;\n"
                 "ALTER TABLE t VALIDATE CONSTRAINT a_nn;\n"
                 "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n");
    EXPECT_TRUE(blocking_rules(result).empty());
}

TEST(LintSetNotNull, ACheckThatIsNotValidatedDoesNotCount) {
    EXPECT_TRUE(
        fires(lint_sql("ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;\n"
                       "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"),
              "set-not-null"));
    EXPECT_TRUE(
        fires(lint_sql("ALTER TABLE t ADD CONSTRAINT b_nn CHECK (b IS NOT NULL) NOT VALID;\n"
                       "ALTER TABLE t VALIDATE CONSTRAINT b_nn;\n"
                       "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"),
              "set-not-null"));
}

// The folder form of the recipe: the check validated in one migration, SET NOT NULL in the next.
TEST(LintSetNotNull, ACheckValidatedByAnEarlierMigrationCounts) {
    const std::string check =
        "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;\n";
    const std::string validate = "ALTER TABLE t VALIDATE CONSTRAINT a_nn;\n";
    const std::string set = "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n";
    EXPECT_FALSE(fires(lint_files({check, validate, set}), "set-not-null"));
    EXPECT_FALSE(
        fires(lint_files({"ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL);", set}),
              "set-not-null"));
    EXPECT_TRUE(fires(lint_files({check, set}), "set-not-null")) << "never validated";
    EXPECT_TRUE(fires(lint_files({check + validate, "ALTER TABLE t DROP CONSTRAINT a_nn;", set}),
                      "set-not-null"))
        << "dropped again";
    EXPECT_FALSE(fires(lint_files({check + validate,
                                   "ALTER TABLE t RENAME CONSTRAINT a_nn TO a_not_null;\n"
                                   "ALTER TABLE t RENAME COLUMN a TO b;\n"
                                   "ALTER TABLE t RENAME TO u;",
                                   "ALTER TABLE u ALTER COLUMN b SET NOT NULL;"}),
                       "set-not-null"))
        << "the check follows renames of itself, its column and its table";
    LintOptions alone;
    alone.replay = false;
    EXPECT_TRUE(fires(lint_files({check + validate, set}, alone), "set-not-null"))
        << "--no-replay: each file on its own";
}

// Issue 7's recipe in its folder form: the NOT VALID check in one migration, the rest (each
// step its own statement, as Prisma runs a file: one transaction) in the next.
TEST(LintSetNotNull, TheRecipesLastStepInALaterMigrationIsClean) {
    const LintResult result =
        lint_files({"ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;\n",
                    "ALTER TABLE t VALIDATE CONSTRAINT a_nn;\n"
                    "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
                    "ALTER TABLE t DROP CONSTRAINT a_nn;\n"});
    EXPECT_TRUE(blocking_rules(result).empty()) << rules(result).size();
}

TEST(LintSetNotNull, AValidatedCheckInTheLiveCatalogCounts) {
    planners::Catalog catalog;
    planners::CatalogTable table;
    table.schema = "public";
    table.name = "t";
    table.columns.push_back({"a", "text", false, std::nullopt, false, false});
    table.columns.push_back({"Mixed", "text", false, std::nullopt, false, false});
    table.constraints.push_back({"a_nn", 'c', true, {"a"}, "CHECK ((a IS NOT NULL))"});
    table.constraints.push_back(
        {"m_nn", 'c', false, {"Mixed"}, "CHECK ((\"Mixed\" IS NOT NULL)) NOT VALID"});
    catalog.tables.push_back(table);
    const auto lint_with = [&](const std::string& sql) {
        Linter linter(LintOptions{}, catalog);
        linter.lint(SourceFile("m.sql", sql), false);
        return linter.result();
    };
    EXPECT_FALSE(fires(lint_with("ALTER TABLE t ALTER COLUMN a SET NOT NULL;"), "set-not-null"));
    EXPECT_TRUE(
        fires(lint_with("ALTER TABLE t ALTER COLUMN \"Mixed\" SET NOT NULL;"), "set-not-null"))
        << "not validated in the catalog";
    EXPECT_FALSE(fires(lint_with("ALTER TABLE t VALIDATE CONSTRAINT m_nn;\n"
                                 "ALTER TABLE t ALTER COLUMN \"Mixed\" SET NOT NULL;"),
                       "set-not-null"));
}

TEST(LintRenames, RenamingAnEnumValueBreaksAppVersionsThatWriteTheOldOne) {
    const LintResult result = lint_sql("ALTER TYPE \"Role\" RENAME VALUE 'USER' TO 'MEMBER';");
    ASSERT_EQ(blocking_rules(result), Rules{"rename-enum-value"});
    EXPECT_EQ(result.findings.back().message,
              "renaming value 'USER' of enum \"Role\" to 'MEMBER' breaks every running app "
              "version that still writes or compares with the old value");
    EXPECT_TRUE(blocking_rules(lint_sql("CREATE TYPE \"Role\" AS ENUM ('USER');\n"
                                        "ALTER TYPE \"Role\" RENAME VALUE 'USER' TO 'MEMBER';"))
                    .empty())
        << "an enum the file creates has no user yet";
    EXPECT_FALSE(fires(lint_sql("ALTER TYPE \"Role\" ADD VALUE 'ADMIN';"), "rename-enum-value"));
}

TEST(LintRenames, RenameColumnAndTableBreakRunningAppVersions) {
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE \"User\" RENAME COLUMN \"email\" TO \"mail\";")),
              Rules{"rename-column"});
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE \"User\" RENAME TO \"Account\";")),
              Rules{"rename-table"});
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER INDEX a RENAME TO b;")).empty());
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER TABLE t RENAME CONSTRAINT a TO b;")).empty());
}

TEST(LintRenames, ATableCreatedAndRenamedInTheSameFileStaysExempt) {
    EXPECT_TRUE(blocking_rules(lint_sql("CREATE TABLE a (id int);\nALTER TABLE a RENAME TO b;\n"
                                        "ALTER TABLE b RENAME COLUMN id TO key;\n"))
                    .empty());
}

TEST(LintDrops, DropColumnAndDropTableLoseData) {
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE t DROP COLUMN a;")), Rules{"drop-column"});
    EXPECT_EQ(blocking_rules(lint_sql("DROP TABLE a, b;")), (Rules{"drop-table", "drop-table"}));
    EXPECT_TRUE(blocking_rules(lint_sql("CREATE TABLE a (id int);\nDROP TABLE a;")).empty());
}

TEST(LintProbableRename, DropAndAddOfTheSameTypeIsAnError) {
    const LintResult result =
        lint_files({"CREATE TABLE \"User\" (id int, name text);",
                    "ALTER TABLE \"User\" DROP COLUMN \"name\",\nADD COLUMN \"fullName\" TEXT;"});
    const auto found = of_rule(result, "probable-rename");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::error);
    EXPECT_EQ(found.front()->mark.file, "m1.sql");
    EXPECT_NE(found.front()->message.find("\"fullName\""), std::string::npos);
    EXPECT_NE(found.front()->hint.find("RENAME COLUMN"), std::string::npos);
}

TEST(LintProbableRename, DifferentTypesAreNotARename) {
    EXPECT_FALSE(fires(lint_files({"CREATE TABLE t (id int, name text);",
                                   "ALTER TABLE t DROP COLUMN name, ADD COLUMN age int;"}),
                       "probable-rename"));
}

TEST(LintProbableRename, UnknownTypeFallsBackToSimilarNamesAsAWarning) {
    const LintResult result =
        lint_sql("ALTER TABLE \"Account\" DROP COLUMN \"userId\", ADD COLUMN \"user_id\" TEXT;");
    const auto found = of_rule(result, "probable-rename");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::warning);
    EXPECT_NE(found.front()->message.find("assumed"), std::string::npos);
    EXPECT_FALSE(fires(lint_sql("ALTER TABLE t DROP COLUMN is_oauth, ADD COLUMN client_id TEXT;"),
                       "probable-rename"));
}

TEST(LintProbableRename, AColumnWhoseDataWasCopiedFirstIsNotLost) {
    const LintResult result = lint_files(
        {"CREATE TABLE t (id int, value text);",
         "ALTER TABLE t ADD COLUMN \"valueJson\" text;\n"
         "UPDATE t SET \"valueJson\" = CASE WHEN value IS NULL THEN NULL ELSE value END;\n"
         "ALTER TABLE t DROP COLUMN value;\n"});
    EXPECT_FALSE(fires(result, "probable-rename"));
    EXPECT_TRUE(fires(result, "drop-column"));
}

} // namespace
} // namespace pgphase::planners::lint::testing
