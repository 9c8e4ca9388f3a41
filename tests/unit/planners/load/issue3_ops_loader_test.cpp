// Loading set_not_null, drop_not_null, set_default, drop_default, drop_index, backfill and sql:
// every mistake is reported at the plan's file:line:column, SQL parse errors inside sql's
// `up` included.
#include "planners/load/plan_loader.hpp"

#include <gtest/gtest.h>
#include <string>

namespace pgphase::planners {
namespace {

// "line:column: message | hint" of the only diagnostic, or a description of what was found.
std::string only(const std::string& text) {
    const LoadResult result = load_plan_text(text, "plan.yaml");
    if (result.plan || result.diagnostics.all().size() != 1) {
        return "unexpected: " + result.diagnostics.to_string();
    }
    const Diagnostic& d = result.diagnostics.all()[0];
    return std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + ": " + d.message +
           (d.hint.empty() ? "" : " | " + d.hint);
}

TEST(LoadIssue3Ops, LoadsEveryFieldOfEveryOperation) {
    const LoadResult result = load_plan_text(R"(name: m
changes:
  - set_not_null: {table: t, column: c, up: "0"}
  - drop_not_null: {table: t, column: c}
  - set_default: {table: t, column: c, default: "1"}
  - drop_default: {table: t, column: c}
  - drop_index: {name: i}
  - backfill: {table: t, set: {a: b + 1, c: "2"}, where: a > 0}
  - sql: {up: "SELECT 1", down: "SELECT 2", phase: backfill, transactional: false}
)",
                                             "plan.yaml");
    ASSERT_TRUE(result.plan) << result.diagnostics.to_string();
    ASSERT_EQ(result.plan->changes.size(), 7U);
    const auto& set = std::get<SetNotNull>(result.plan->changes[0].operation);
    EXPECT_EQ(set.up->sql, "0");
    const auto& backfill = std::get<BackfillData>(result.plan->changes[5].operation);
    ASSERT_EQ(backfill.set.size(), 2U);
    EXPECT_EQ(backfill.set[0].first, "a");
    EXPECT_EQ(backfill.set[0].second.sql, "b + 1");
    EXPECT_EQ(backfill.where->sql, "a > 0");
    const auto& sql = std::get<RawSql>(result.plan->changes[6].operation);
    EXPECT_EQ(sql.phase, "backfill");
    EXPECT_FALSE(sql.transactional);
    EXPECT_EQ(sql.up.statements, std::vector<std::string>{"SELECT 1"});
}

TEST(LoadIssue3Ops, ReportsMissingAndUnknownFieldsWithSuggestions) {
    EXPECT_EQ(only("name: m\nchanges:\n  - set_not_null: {table: t}\n"),
              R"(3:19: set_not_null is missing required field "column")");
    EXPECT_EQ(only("name: m\nchanges:\n  - drop_not_null: {table: t, colum: c, column: c}\n"),
              R"(3:31: unknown key "colum" in drop_not_null | did you mean "column"?)");
    EXPECT_EQ(only("name: m\nchanges:\n  - set_defualt: {table: t, column: c}\n"),
              R"(3:5: unknown operation "set_defualt" | did you mean "set_default"?)");
    EXPECT_EQ(only("name: m\nchanges:\n  - drop_index: {}\n"),
              R"(3:17: drop_index is missing required field "name")");
}

TEST(LoadIssue3Ops, PointsAtTheBadByteOfAnExpression) {
    EXPECT_EQ(only("name: m\nchanges:\n  - set_not_null: {table: t, column: c, up: 1 +}\n"),
              "3:48: invalid expression for \"up\": syntax error at end of input | \"up\" must be "
              "exactly one SQL expression");
    EXPECT_EQ(
        only("name: m\nchanges:\n  - backfill: {table: t, set: {a: \"x; DROP TABLE t\"}}\n"),
        "3:35: invalid expression for \"a\": expected one expression, found 2 statements | \"a\" "
        "must be exactly one SQL expression");
}

TEST(LoadIssue3Ops, RejectsAnEmptySetAndABadPhase) {
    EXPECT_EQ(only("name: m\nchanges:\n  - backfill: {table: t, set: {}}\n"),
              R"(3:31: "set" must map one or more columns to expressions | write e.g. set: )"
              R"x({status: "lower(status)"})x");
    EXPECT_EQ(only("name: m\nchanges:\n  - sql: {up: SELECT 1, phase: expnd}\n"),
              R"(3:32: unknown phase "expnd" | did you mean "expand"?)");
    EXPECT_EQ(only("name: m\nchanges:\n  - sql: {up: SELECT 1, down: SELECT 2, phase: contract}\n"),
              R"(3:31: "down" of a contract-phase sql change never runs | contract is not rolled )"
              R"(back; drop "down" or run the change in expand)");
}

TEST(LoadIssue3Ops, ReportsASqlSyntaxErrorAtItsLineAndColumnInsideALiteralBlock) {
    EXPECT_EQ(only(R"(name: m
changes:
  - sql:
      up: |
        CREATE TABLE a (id int);
        ALTER TABLE a ADD COLUMN b intt DEFALT 1;
)"),
              "6:41: invalid SQL in \"up\": syntax error at or near \"DEFALT\" | \"up\" is run as "
              "written; fix the statement");
}

TEST(LoadIssue3Ops, RefusesConcurrentlyInATransactionalSqlChange) {
    EXPECT_EQ(only("name: m\nchanges:\n  - sql: {up: \"CREATE INDEX CONCURRENTLY i ON t (a)\"}\n"),
              "3:16: \"up\" runs in a transaction, which CONCURRENTLY cannot run in | add "
              "\"transactional: false\" to this sql change (each statement then runs on its own)");
}

TEST(LoadIssue3Ops, ReportsASqlSyntaxErrorInsideAOneLineScalar) {
    EXPECT_EQ(only("name: m\nchanges:\n  - sql: {up: \"SELEC 1\"}\n"),
              "3:16: invalid SQL in \"up\": syntax error at or near \"SELEC\" | \"up\" is run as "
              "written; fix the statement");
    EXPECT_EQ(only("name: m\nchanges:\n  - sql: {up: \"-- nothing\"}\n"),
              R"(3:15: "up" holds no SQL statement)");
}

TEST(LoadIssue3Ops, ReportsDuplicateAndBadColumnsInSet) {
    EXPECT_EQ(only("name: m\nchanges:\n  - backfill: {table: t, set: {a: \"1\", a: \"2\"}}\n"),
              R"(3:40: duplicate key "a" in set)");
    EXPECT_EQ(only("name: m\nchanges:\n  - set_default: {table: t, column: c}\n"),
              R"(3:18: set_default is missing required field "default")");
}

TEST(LoadIssue3Ops, ReportsASyntaxErrorInDownAtItsLine) {
    EXPECT_EQ(only(R"(name: m
changes:
  - sql:
      up: SELECT 1
      down: |
        SELECT 1;
        DROP TABLE;
)"),
              "7:19: invalid SQL in \"down\": syntax error at or near \";\" | \"down\" is run as "
              "written; fix the statement");
}

TEST(LoadIssue3Ops, PointsAtAFoldedBlockItselfWhenLinesCannotBeMapped) {
    EXPECT_EQ(only(R"(name: m
changes:
  - sql:
      up: >
        SELECT 1;
        SELEC 2;
)"),
              "4:11: invalid SQL in \"up\": syntax error at or near \"SELEC\" | \"up\" is run as "
              "written; fix the statement");
}

} // namespace
} // namespace pgphase::planners
