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

// The finding of `rule` in a file's result, with its level; nullptr if none.
const Finding* dml_finding(const LintResult& result) {
    for (const Finding& finding : result.findings) {
        if (finding.rule == "unbatched-update" || finding.rule == "unbatched-delete") {
            return &finding;
        }
    }
    return nullptr;
}

// The earlier migration that creates t, with its keys: an `id` primary key, a unique `code`, a
// composite unique (tenant, slug), and a partial unique index on `email` (no key of every row).
const std::string create_t = "CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE, tenant int,\n"
                             "  slug text, email text, a int, b int, flag bool,\n"
                             "  CONSTRAINT t_tenant_slug UNIQUE (tenant, slug));\n"
                             "CREATE UNIQUE INDEX t_live_email ON t (email) WHERE a IS NULL;\n";

// The level unbatched-* takes for `sql` on t, with the migration creating t linted first:
// "" when not reported.
std::string dml_level(const std::string& sql) {
    const LintResult result = lint_files({create_t, sql});
    const Finding* finding = dml_finding(result);
    return finding == nullptr ? "" : std::string(level_name(finding->level));
}

TEST(LintDml, UpdateOrDeleteWithoutWhereIsUnbatched) {
    EXPECT_EQ(blocking_rules(lint_sql("UPDATE \"Project\" SET \"updatedAt\" = NOW();")),
              Rules{"unbatched-update"});
    EXPECT_EQ(blocking_rules(lint_sql("DELETE FROM sessions;")), Rules{"unbatched-delete"});
    EXPECT_EQ(dml_level("UPDATE t SET a = 1;"), "error");
}

TEST(LintDml, AWhereThatComparesNoColumnWithConstantsMaySelectEveryRow) {
    for (const std::string sql :
         {"UPDATE t SET a = 1 WHERE a IS NULL;",
          "UPDATE t SET a = 1 WHERE a IS NOT NULL AND b <> 2;", "DELETE FROM t WHERE flag;",
          "DELETE FROM t WHERE true;", "DELETE FROM t WHERE id IN (SELECT id FROM u);",
          "UPDATE t SET a = 1 WHERE a = b;", "UPDATE t SET a = 1 WHERE id = 1 OR flag;"}) {
        EXPECT_EQ(dml_level(sql), "error") << sql;
    }
}

TEST(LintDml, AWhereThatFixesAUniqueKeySelectsAFewRows) {
    for (const std::string sql :
         {"UPDATE t SET a = 1 WHERE id = 42;", "UPDATE t SET a = 1 WHERE id = $1;",
          "DELETE FROM t WHERE id IN (1, 2, 3);", "UPDATE t SET a = 1 WHERE 'x'::text = code;",
          "UPDATE t SET a = 1 WHERE id = 1 OR code = 'x';",
          "UPDATE t SET a = 1 WHERE tenant = 1 AND slug = 'home' AND a IS NULL;",
          "UPDATE t SET a = 1 WHERE t.id = 7;"}) {
        EXPECT_EQ(dml_level(sql), "") << sql;
    }
}

TEST(LintDml, AWhereOnOtherColumnsIsAWarningThatLintCannotTell) {
    for (const std::string sql :
         {"UPDATE t SET a = 1 WHERE id < 1000;", "DELETE FROM t WHERE id BETWEEN 1 AND 99;",
          "UPDATE t SET a = 1 WHERE b = 2;", "UPDATE t SET a = 1 WHERE tenant = 1;",
          "UPDATE t SET a = 1 WHERE email = 'x';", "UPDATE t SET a = 1 WHERE id = 1 OR b = 2;"}) {
        EXPECT_EQ(dml_level(sql), "warning") << sql;
    }
    const LintResult result = lint_files({create_t, "UPDATE t SET a = 1 WHERE b = 2;"});
    const Finding* finding = dml_finding(result);
    ASSERT_NE(finding, nullptr);
    EXPECT_EQ(finding->message,
              "UPDATE of t: cannot tell how many rows its WHERE selects: no AND-ed term fixes "
              "every column of a primary key or unique constraint of t with = or IN. If it may "
              "be many, it writes them in one transaction, locking each row until it commits");
    EXPECT_NE(finding->hint.str().find("-- pgphase:ignore unbatched-update"), std::string::npos);

    // Without the migration that creates it, the table's keys are unknown, and it says so.
    const LintResult unknown = lint_sql("UPDATE t SET a = 1 WHERE id = 42;");
    const Finding* alone = dml_finding(unknown);
    ASSERT_NE(alone, nullptr);
    EXPECT_EQ(alone->level, Level::warning);
    EXPECT_NE(alone->message.find("lint does not know the keys of t"), std::string::npos)
        << alone->message;
}

TEST(LintDml, KeysFollowTheReplay) {
    // Dropped, renamed, or added by a later statement or index.
    EXPECT_EQ(dml_level("ALTER TABLE t DROP CONSTRAINT t_pkey;\n"
                        "UPDATE t SET a = 1 WHERE id = 42;"),
              "warning");
    EXPECT_EQ(dml_level("ALTER TABLE t RENAME COLUMN id TO key;\n"
                        "UPDATE t SET a = 1 WHERE key = 42;"),
              "");
    EXPECT_EQ(dml_level("ALTER TABLE t RENAME TO t2;\n"
                        "UPDATE t2 SET a = 1 WHERE id = 42;"),
              "");
    EXPECT_EQ(dml_level("CREATE UNIQUE INDEX t_b ON t (b);\n"
                        "UPDATE t SET a = 1 WHERE b = 2;"),
              "");
    EXPECT_EQ(dml_level("CREATE UNIQUE INDEX t_b ON t (b);\nALTER INDEX t_b RENAME TO t_b2;\n"
                        "DROP INDEX t_b2;\nUPDATE t SET a = 1 WHERE b = 2;"),
              "warning");
    EXPECT_EQ(dml_level("CREATE UNIQUE INDEX t_b ON t (b);\n"
                        "ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE USING INDEX t_b;\n"
                        "UPDATE t SET a = 1 WHERE b = 2;"),
              "");
    EXPECT_EQ(dml_level("ALTER TABLE t ADD CONSTRAINT t_ab UNIQUE (a, b);\n"
                        "UPDATE t SET flag = true WHERE a = 1 AND b = 2;"),
              "");
    EXPECT_EQ(dml_level("ALTER TABLE t DROP COLUMN code;\n"
                        "UPDATE t SET a = 1 WHERE code = 'x';"),
              "warning");
}

TEST(LintDml, KeysComeFromTheLiveCatalog) {
    planners::Catalog catalog;
    planners::CatalogTable table;
    table.schema = "public";
    table.name = "orders";
    table.columns.push_back({"id", "bigint", false, std::nullopt, false, false});
    table.columns.push_back({"ref", "text", false, std::nullopt, false, false});
    table.columns.push_back({"note", "text", true, std::nullopt, false, false});
    planners::CatalogIndex key;
    key.name = "orders_pkey";
    key.unique = key.primary = true;
    key.columns = key.key_columns = {"id"};
    table.indexes.push_back(key);
    planners::CatalogIndex partial = key;
    partial.name = "orders_ref_live";
    partial.primary = false;
    partial.partial = true;
    partial.columns = partial.key_columns = {"ref"};
    table.indexes.push_back(partial);
    catalog.tables.push_back(table);
    const auto lint_with = [&](const std::string& sql) { return lint_with_catalog(catalog, sql); };
    EXPECT_EQ(dml_finding(lint_with("UPDATE orders SET note = 'x' WHERE id = 1;")), nullptr);
    const LintResult by_ref_result = lint_with("UPDATE orders SET note = 'x' WHERE ref = 'a';");
    const Finding* by_ref = dml_finding(by_ref_result);
    ASSERT_NE(by_ref, nullptr);
    EXPECT_EQ(by_ref->level, Level::warning);
}

TEST(LintDml, AColumnTheFileAddedIsNullInEveryRow) {
    const LintResult result = lint_files({create_t, "ALTER TABLE t ADD COLUMN c int;\n"
                                                    "UPDATE t SET c = a WHERE c IS NULL;"});
    const Finding* finding = dml_finding(result);
    ASSERT_NE(finding, nullptr);
    EXPECT_EQ(finding->level, Level::error);
    EXPECT_NE(finding->message.find("WHERE c IS NULL, a column this file added"), std::string::npos)
        << finding->message;
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
