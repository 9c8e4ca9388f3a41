// create-index-non-concurrent, drop-index-non-concurrent, reindex-non-concurrent and
// concurrently-in-transaction.
#include "tests/unit/planners/lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint::testing {
namespace {

using Rules = std::vector<std::string>;

TEST(LintIndexes, CreateIndexWithoutConcurrentlyOnAnExistingTableIsAnError) {
    const LintResult result = lint_sql("CREATE INDEX i ON users (email);");
    EXPECT_EQ(blocking_rules(result), Rules{"create-index-non-concurrent"});
    const auto found = of_rule(result, "create-index-non-concurrent");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::error);
    EXPECT_EQ(found.front()->lock, "SHARE (blocks writes)");
}

TEST(LintIndexes, CreateIndexConcurrentlyOutsideATransactionIsFine) {
    EXPECT_TRUE(lint_sql("CREATE INDEX CONCURRENTLY i ON users (email);").findings.empty());
}

TEST(LintIndexes, IndexesOnATableCreatedInTheSameFileAreFine) {
    const LintResult result = lint_sql("CREATE TABLE t (id int, a text);\n"
                                       "CREATE UNIQUE INDEX t_a ON t (a);\nDROP INDEX t_a;");
    EXPECT_TRUE(blocking_rules(result).empty());
}

// An error: deploy applies as written what lint lets through, and this ACCESS EXCLUSIVE queues
// every query on the table behind whatever runs on it.
TEST(LintIndexes, DropIndexWithoutConcurrentlyIsAnError) {
    const LintResult result = lint_sql("DROP INDEX \"User_email_key\";");
    ASSERT_TRUE(fires(result, "drop-index-non-concurrent"));
    EXPECT_EQ(of_rule(result, "drop-index-non-concurrent").front()->level, Level::error);
    EXPECT_FALSE(fires(lint_sql("DROP INDEX CONCURRENTLY i;"), "drop-index-non-concurrent"));
}

TEST(LintIndexes, ConcurrentlyInsideAnExplicitTransactionFails) {
    const LintResult result = lint_sql("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;");
    const auto found = of_rule(result, "concurrently-in-transaction");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->mark.line, 2);
    EXPECT_NE(found.front()->message.find("BEGIN ... COMMIT"), std::string::npos);
}

TEST(LintIndexes, ConcurrentlyAfterCommitIsFine) {
    EXPECT_FALSE(
        fires(lint_sql("BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);"),
              "concurrently-in-transaction"));
}

TEST(LintIndexes, ConcurrentlyBesideOtherStatementsInAPrismaMigrationFails) {
    const std::string sql = "-- CreateIndex\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
                            "ALTER TABLE t ADD COLUMN b text;";
    EXPECT_TRUE(fires(lint_sql(sql, true), "concurrently-in-transaction"));
    EXPECT_FALSE(fires(lint_sql(sql, false), "concurrently-in-transaction"));
}

TEST(LintIndexes, ConcurrentlyAloneInAPrismaMigrationIsFine) {
    EXPECT_TRUE(
        lint_sql("-- CreateIndex\nCREATE INDEX CONCURRENTLY i ON t (a);\n", true).findings.empty());
}

TEST(LintIndexes, ConcurrentlyInATransactionFailsEvenOnANewTable) {
    EXPECT_TRUE(fires(lint_sql("BEGIN;\nCREATE TABLE t (a int);\n"
                               "CREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;"),
                      "concurrently-in-transaction"));
}

TEST(LintIndexes, DropIndexConcurrentlyAndReindexConcurrentlyInATransactionFail) {
    EXPECT_EQ(rules(lint_sql("BEGIN; DROP INDEX CONCURRENTLY i; REINDEX INDEX CONCURRENTLY j; "
                             "COMMIT;")),
              (Rules{"concurrently-in-transaction", "concurrently-in-transaction"}));
}

TEST(LintIndexes, ReindexWithoutConcurrentlyIsAnError) {
    EXPECT_EQ(blocking_rules(lint_sql("REINDEX TABLE users;")), Rules{"reindex-non-concurrent"});
    EXPECT_TRUE(lint_sql("REINDEX TABLE CONCURRENTLY users;").findings.empty());
}

} // namespace
} // namespace pgphase::planners::lint::testing
