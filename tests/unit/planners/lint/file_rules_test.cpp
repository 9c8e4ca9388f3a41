// missing-lock-timeout, unbatched-update/delete, cluster, vacuum-full, prisma-warning and the
// style rules; ignore directives and --disable.
#include "tests/unit/planners/lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint::testing {
namespace {

using Rules = std::vector<std::string>;

TEST(LintLockTimeout, WarnsOnceAtTheFirstAccessExclusiveStatement) {
    const LintResult result = lint_sql("CREATE TABLE n (id int);\n"
                                       "ALTER TABLE a ADD COLUMN x text;\n"
                                       "ALTER TABLE b ADD COLUMN y text;\n");
    const auto found = of_rule(result, "missing-lock-timeout");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::warning);
    EXPECT_EQ(found.front()->mark.line, 2);
}

TEST(LintLockTimeout, SilentWhenTheFileSetsOne) {
    EXPECT_FALSE(fires(lint_sql("SET lock_timeout = '2s';\nALTER TABLE a ADD COLUMN x text;"),
                       "missing-lock-timeout"));
    EXPECT_FALSE(fires(lint_sql("BEGIN;\nSET LOCAL lock_timeout TO 1000;\nDROP TABLE a;\nCOMMIT;"),
                       "missing-lock-timeout"));
}

TEST(LintLockTimeout, ZeroOrResetMeansNoTimeout) {
    EXPECT_TRUE(fires(lint_sql("SET lock_timeout = 0;\nALTER TABLE a ADD COLUMN x text;"),
                      "missing-lock-timeout"));
    EXPECT_TRUE(fires(lint_sql("SET lock_timeout = '2s';\nRESET lock_timeout;\n"
                               "ALTER TABLE a ADD COLUMN x text;"),
                      "missing-lock-timeout"));
}

TEST(LintLockTimeout, SilentForNewTablesAndLocksThatLetWritesThrough) {
    EXPECT_FALSE(
        fires(lint_sql("CREATE TABLE n (id int);\nALTER TABLE n ADD COLUMN x text;\n"
                       "CREATE TABLE m (id int REFERENCES n (id));\n"
                       "ALTER TABLE m ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES n (id);\n"
                       "CREATE INDEX i ON n (x);\n"
                       "CREATE INDEX CONCURRENTLY j ON a (x);\n"
                       "DROP INDEX CONCURRENTLY k;\n"
                       "ALTER TABLE a VALIDATE CONSTRAINT c;\n"),
              "missing-lock-timeout"));
}

TEST(LintLockTimeout, AForeignKeyToAnExistingTableLocksItAgainstWrites) {
    const LintResult result = lint_sql("CREATE TABLE n (id int, u int);\n"
                                       "ALTER TABLE n ADD CONSTRAINT f FOREIGN KEY (u) "
                                       "REFERENCES \"User\" (id);\n");
    const auto found = of_rule(result, "missing-lock-timeout");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->mark.line, 2);
    EXPECT_NE(found.front()->message.find("SHARE ROW EXCLUSIVE on \"User\""), std::string::npos)
        << found.front()->message;
    EXPECT_TRUE(
        fires(lint_sql("CREATE TABLE n (u int REFERENCES users (id));"), "missing-lock-timeout"));
}

TEST(LintLockTimeout, CreateIndexOnAnExistingTableBlocksWritesWhileItWaits) {
    const LintResult result = lint_sql("CREATE INDEX i ON users (email);");
    const auto found = of_rule(result, "missing-lock-timeout");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_NE(found.front()->message.find("SHARE on users"), std::string::npos);
    EXPECT_NE(found.front()->message.find("every write"), std::string::npos);
}

TEST(LintDml, UpdateOrDeleteWithoutWhereIsUnbatched) {
    EXPECT_EQ(blocking_rules(lint_sql("UPDATE \"Project\" SET \"updatedAt\" = NOW();")),
              Rules{"unbatched-update"});
    EXPECT_EQ(blocking_rules(lint_sql("DELETE FROM sessions;")), Rules{"unbatched-delete"});
    EXPECT_TRUE(blocking_rules(lint_sql("UPDATE t SET a = 1 WHERE id < 1000;")).empty());
}

TEST(LintDml, AWhereThatComparesNoColumnWithConstantsDoesNotBoundTheRows) {
    for (const std::string sql :
         {"UPDATE \"Secrets\" SET \"lastSignedIn\" = now() WHERE \"lastSignedIn\" IS NULL;",
          "UPDATE t SET a = 1 WHERE a IS NOT NULL AND b <> 2;", "DELETE FROM t WHERE expired;",
          "DELETE FROM t WHERE id IN (SELECT id FROM u);", "UPDATE t SET a = 1 WHERE a = b;",
          "UPDATE t SET a = 1 WHERE id = 1 OR flag;"}) {
        const auto rules = blocking_rules(lint_sql(sql));
        ASSERT_EQ(rules.size(), 1U) << sql;
        EXPECT_EQ(rules[0].rfind("unbatched-", 0), 0U) << sql;
    }
    for (const std::string sql :
         {"UPDATE t SET a = 1 WHERE id = 42;", "UPDATE t SET a = 1 WHERE id = $1;",
          "DELETE FROM t WHERE id IN (1, 2, 3);", "DELETE FROM t WHERE id BETWEEN 1 AND 99;",
          "UPDATE t SET a = 1 WHERE 'x'::text = code AND a IS NULL;",
          "UPDATE t SET a = 1 WHERE id = 1 OR id = 2;"}) {
        EXPECT_TRUE(blocking_rules(lint_sql(sql)).empty()) << sql;
    }
}

TEST(LintMaintenance, ClusterVacuumFullAreErrorsPlainVacuumIsNot) {
    EXPECT_EQ(blocking_rules(lint_sql("CLUSTER t USING t_pkey;")), Rules{"cluster"});
    EXPECT_EQ(blocking_rules(lint_sql("VACUUM FULL t;")), Rules{"vacuum-full"});
    EXPECT_EQ(blocking_rules(lint_sql("VACUUM (FULL, ANALYZE) t;")), Rules{"vacuum-full"});
    EXPECT_TRUE(lint_sql("VACUUM ANALYZE t;").findings.empty());
}

TEST(LintStyle, TimestampWithoutTimeZoneAndSerialAreInfo) {
    const LintResult result =
        lint_sql("CREATE TABLE t (id SERIAL PRIMARY KEY, at TIMESTAMP(3), ok TIMESTAMPTZ);");
    EXPECT_EQ(rules(result), (Rules{"prefer-timestamptz", "prefer-identity"}));
    for (const Finding& finding : result.findings) {
        EXPECT_EQ(finding.level, Level::info);
    }
    EXPECT_EQ(result.findings.front().message, "column at of t stores timestamp without time zone");
}

TEST(LintStyle, NamesLongerThan63BytesAreTruncated) {
    const std::string name(70, 'x');
    const LintResult result = lint_sql("CREATE INDEX CONCURRENTLY " + name + " ON t (a);");
    const auto found = of_rule(result, "identifier-too-long");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::info);
    EXPECT_NE(found.front()->message.find("is 70 bytes"), std::string::npos);
    EXPECT_FALSE(fires(lint_sql("CREATE INDEX CONCURRENTLY " + std::string(63, 'x') + " ON t (a);"),
                       "identifier-too-long"));
}

TEST(LintPrisma, SurfacesTheWarningsHeader) {
    const LintResult result =
        lint_sql("/*\n  Warnings:\n\n  - You are about to drop the column `a` on the `T` table. "
                 "All the data in the column will be lost.\n\n*/\n"
                 "-- AlterTable\nALTER TABLE \"T\" DROP COLUMN \"a\";\n",
                 true);
    const auto found = of_rule(result, "prisma-warning");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::warning);
    EXPECT_EQ(found.front()->mark.line, 4);
    EXPECT_NE(found.front()->message.find("drop the column `a`"), std::string::npos);
    EXPECT_TRUE(fires(result, "drop-column"));
}

TEST(LintIgnore, ACommentBeforeTheStatementSilencesTheNamedRulesOnly) {
    const LintResult result =
        lint_sql("-- pgphase:ignore drop-column\nALTER TABLE t DROP COLUMN a;\n"
                 "ALTER TABLE t DROP COLUMN b;\n"
                 "-- pgphase:ignore rename-table\nALTER TABLE t RENAME COLUMN c TO d;\n");
    const auto found = of_rule(result, "drop-column");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->mark.line, 3);
    EXPECT_TRUE(fires(result, "rename-column"));
}

TEST(LintIgnore, AnUnknownRuleInADirectiveIsReported) {
    const LintResult result =
        lint_sql("-- pgphase:ignore drop-colum\nALTER TABLE t DROP COLUMN a;");
    const auto found = of_rule(result, "unknown-rule");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->mark.line, 1);
    EXPECT_NE(found.front()->message.find("drop-colum"), std::string::npos);
}

TEST(LintDisable, DisabledRulesAreNotReported) {
    LintOptions options;
    options.disabled = {"drop-column", "missing-lock-timeout"};
    const LintResult result = lint_sql("ALTER TABLE t DROP COLUMN a;", false, options);
    EXPECT_TRUE(result.findings.empty());
}

TEST(LintSyntax, AStatementThatDoesNotParseIsAnErrorAtWhereTheParserStopped) {
    const LintResult result = lint_sql("SELECT 1;\nALTER TABLE t ADD COLUMN;\nDROP TABLE t;");
    const auto found = of_rule(result, "syntax-error");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->mark.line, 2);
    EXPECT_EQ(found.front()->mark.column, 25);
    EXPECT_EQ(found.front()->message, "syntax error at or near \";\"");
    EXPECT_TRUE(result.has_syntax_errors());
    EXPECT_TRUE(fires(result, "drop-table")) << "the statements after it are still linted";
}

TEST(LintBytes, InvalidUtf8IsAnErrorAtItsPositionAndTheOtherStatementsAreStillLinted) {
    const LintResult result = lint_sql("ALTER TABLE \"caf\xE9\" ADD COLUMN a int;\nDROP TABLE t;");
    const auto found = of_rule(result, "invalid-encoding");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->level, Level::error);
    EXPECT_EQ(found.front()->mark.line, 1);
    EXPECT_EQ(found.front()->mark.column, 17);
    EXPECT_EQ(found.front()->message.rfind("invalid UTF-8", 0), 0U) << found.front()->message;
    EXPECT_TRUE(result.has_syntax_errors()) << "exit 2, as for a statement that does not parse";
    EXPECT_FALSE(fires(result, "syntax-error"));
    EXPECT_TRUE(fires(result, "drop-table"));
}

TEST(LintBytes, ANulByteIsAnErrorAndTheStatementsAfterItAreStillLinted) {
    const LintResult result =
        lint_sql(std::string("SELECT 1;\n-- x") + '\0' + "\nDROP TABLE t;\nDROP TABLE u;");
    const auto found = of_rule(result, "invalid-encoding");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->mark.line, 2);
    EXPECT_EQ(found.front()->mark.column, 5);
    EXPECT_EQ(of_rule(result, "drop-table").size(), 1U)
        << "the statement after the comment holding the NUL is not run; the next one is";
}

TEST(LintTransactions, RolledBackStatementsAreReportedAsSuchNotLintedAndNotReplayed) {
    const LintResult result = lint_sql("SET lock_timeout = '1s';\nBEGIN;\nDROP TABLE t;\n"
                                       "CREATE TABLE u (id int);\nROLLBACK;\n"
                                       "CREATE INDEX i ON u (id);\n");
    EXPECT_FALSE(fires(result, "drop-table"));
    const auto found = of_rule(result, "rolled-back");
    ASSERT_EQ(found.size(), 2U);
    EXPECT_EQ(found[0]->level, Level::info);
    EXPECT_EQ(found[0]->mark.line, 3);
    EXPECT_EQ(found[0]->message,
              "rolled back by the ROLLBACK at line 5, so it never takes effect; not linted");
    EXPECT_TRUE(fires(result, "create-index-non-concurrent"))
        << "u was created in the rolled-back block, so it exists only as a table of before";
}

TEST(LintRules, EveryRuleHasAKebabCaseIdAndAHint) {
    for (const RuleInfo& info : all_rules()) {
        EXPECT_FALSE(info.hint.empty()) << info.id;
        EXPECT_FALSE(info.summary.empty()) << info.id;
        for (char c : info.id) {
            EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '-') << info.id;
        }
    }
}

} // namespace
} // namespace pgphase::planners::lint::testing
