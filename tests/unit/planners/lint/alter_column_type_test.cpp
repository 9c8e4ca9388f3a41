// alter-column-type and enum-recreate: binary-compatible changes are not flagged, rewrites
// are, and an unknown old type is said to be assumed.
#include "planners/lint/type_change.hpp"
#include "tests/unit/planners/lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint::testing {
namespace {

using Rules = std::vector<std::string>;

// Lints `change` after an earlier migration created "t"."c" as `old_type`.
LintResult change_from(const std::string& old_type, const std::string& change) {
    return lint_files({"CREATE TABLE t (id int, c " + old_type + ");", change});
}

TEST(LintAlterColumnType, BinaryCompatibleChangesAreNotFlagged) {
    const std::vector<std::pair<std::string, std::string>> changes = {
        {"varchar(80)", "varchar(200)"},
        {"varchar(80)", "varchar(80)"},
        {"varchar(80)", "text"},
        {"varchar(80)", "varchar"},
        {"varchar", "text"},
        {"text", "varchar"},
        {"character varying(10)", "text"},
        {"numeric(10,2)", "numeric(12,2)"},
        {"numeric(10,2)", "numeric"},
        {"timestamp(3)", "timestamp(6)"},
        {"timestamp(3)", "timestamp"},
        {"timestamptz(0)", "timestamptz(3)"},
        {"cidr", "inet"},
        {"varbit(4)", "varbit(8)"},
    };
    for (const auto& [from, to] : changes) {
        const LintResult result =
            change_from(from, "ALTER TABLE t ALTER COLUMN c TYPE " + to + ";");
        EXPECT_FALSE(fires(result, "alter-column-type")) << from << " -> " << to;
    }
}

TEST(LintAlterColumnType, RewritingChangesAreErrors) {
    const std::vector<std::pair<std::string, std::string>> changes = {
        {"int", "bigint"},
        {"integer", "text"},
        {"varchar(200)", "varchar(80)"},
        {"text", "varchar(80)"},
        {"numeric(10,2)", "numeric(10,4)"},
        {"numeric(10,2)", "numeric(8,2)"},
        {"numeric", "numeric(10,2)"},
        {"timestamp", "timestamptz"},
        {"timestamp(6)", "timestamp(3)"},
        {"text", "jsonb"},
        {"char(10)", "text"},
        {"uuid", "text"},
        {"varchar(10)", "varchar(10)[]"},
        // An array's elements are converted one by one (ArrayCoerceExpr): always a rewrite.
        {"varchar(10)[]", "varchar(20)[]"},
    };
    for (const auto& [from, to] : changes) {
        const LintResult result =
            change_from(from, "ALTER TABLE t ALTER COLUMN c TYPE " + to + ";");
        const auto found = of_rule(result, "alter-column-type");
        ASSERT_EQ(found.size(), 1U) << from << " -> " << to;
        EXPECT_EQ(found.front()->level, Level::error) << from << " -> " << to;
    }
}

TEST(LintAlterColumnType, NamesBothTypesInTheMessage) {
    const LintResult result = change_from("int", "ALTER TABLE t ALTER COLUMN c TYPE bigint;");
    EXPECT_NE(result.findings.back().message.find("integer to bigint is not binary compatible"),
              std::string::npos);
}

TEST(LintAlterColumnType, AUsingExpressionOtherThanTheColumnRewrites) {
    EXPECT_TRUE(fires(change_from("timestamp(3)", "ALTER TABLE t ALTER COLUMN c SET DATA TYPE "
                                                  "TIMESTAMPTZ(3) USING c AT TIME ZONE 'UTC';"),
                      "alter-column-type"));
    EXPECT_FALSE(fires(change_from("varchar(10)", "ALTER TABLE t ALTER COLUMN c TYPE text USING "
                                                  "c::text;"),
                       "alter-column-type"));
}

TEST(LintAlterColumnType, FollowsRenamesAndEarlierTypeChanges) {
    const LintResult result =
        lint_files({"CREATE TABLE t (a varchar(10));", "ALTER TABLE t RENAME COLUMN a TO b;",
                    "ALTER TABLE t ALTER COLUMN b TYPE varchar(20);", "ALTER TABLE t RENAME TO u;",
                    "ALTER TABLE u ALTER COLUMN b TYPE varchar(30);"});
    EXPECT_FALSE(fires(result, "alter-column-type"));
}

TEST(LintAlterColumnType, UnknownOldTypeThatMayConvertForFreeIsAWarningSayingWhatLintCannotKnow) {
    const LintResult result = lint_sql("ALTER TABLE t ALTER COLUMN c SET DATA TYPE VARCHAR(256);");
    const auto found = of_rule(result, "alter-column-type");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::warning);
    EXPECT_EQ(found.front()->message,
              "changing t.c to varchar(256) rewrites t unless its old type converts for free "
              "(from a shorter varchar); lint cannot tell: the old type is unknown (no earlier "
              "migration linted with this file creates the column, and no --dsn catalog has it)");
    const LintResult to_timestamptz = lint_sql("ALTER TABLE t ALTER COLUMN c TYPE timestamptz(3);");
    EXPECT_NE(
        of_rule(to_timestamptz, "alter-column-type")
            .front()
            ->message.find(
                "(from timestamptz of a smaller precision, or from timestamp when the session "
                "TimeZone is UTC)"),
        std::string::npos)
        << "a timestamp target speaks of time zones, not of varchar";
}

TEST(LintAlterColumnType, UnknownOldTypeToATypeNothingConvertsToIsAnError) {
    const LintResult result = lint_sql("ALTER TABLE t ALTER COLUMN c TYPE bigint;");
    const auto found = of_rule(result, "alter-column-type");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::error);
    EXPECT_NE(found.front()->message.find("old type is unknown"), std::string::npos);
}

TEST(LintAlterColumnType, ReplayIsOffWithNoReplay) {
    LintOptions options;
    options.replay = false;
    const LintResult result = lint_files(
        {"CREATE TABLE t (c varchar(10));", "ALTER TABLE t ALTER COLUMN c TYPE varchar(20);"},
        options);
    ASSERT_TRUE(fires(result, "alter-column-type"));
    EXPECT_NE(of_rule(result, "alter-column-type").front()->message.find("lint cannot tell"),
              std::string::npos);
}

TEST(LintEnumRecreate, PrismasEnumDanceIsAnErrorPerColumn) {
    const LintResult result =
        lint_sql("BEGIN;\n"
                 "CREATE TYPE \"Role_new\" AS ENUM ('A', 'B');\n"
                 "ALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING "
                 "(\"role\"::text::\"Role_new\");\n"
                 "ALTER TYPE \"Role\" RENAME TO \"Role_old\";\n"
                 "ALTER TYPE \"Role_new\" RENAME TO \"Role\";\n"
                 "DROP TYPE \"Role_old\";\n"
                 "COMMIT;\n",
                 true);
    EXPECT_EQ(blocking_rules(result), Rules{"enum-recreate"});
    EXPECT_EQ(of_rule(result, "enum-recreate").front()->mark.line, 3);
}

TEST(LintEnumRecreate, AddValueIsFine) {
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER TYPE \"Role\" ADD VALUE 'C';")).empty());
}

TEST(TypeChange, FreeSourcesOnlyForTypesSomethingRelabelsTo) {
    ColumnType text;
    text.name = "text";
    ColumnType bigint;
    bigint.name = "int8";
    EXPECT_EQ(free_sources(text), "from varchar");
    EXPECT_EQ(free_sources(bigint), "");
}

} // namespace
} // namespace pgphase::planners::lint::testing
