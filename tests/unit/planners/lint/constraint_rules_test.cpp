// add-foreign-key-validates, add-check-validates, add-unique-constraint and
// validate-in-same-transaction.
#include "tests/unit/planners/lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint::testing {
namespace {

using Rules = std::vector<std::string>;

TEST(LintConstraints, ForeignKeyWithoutNotValidScansUnderAWriteBlockingLock) {
    const LintResult result = lint_sql("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" "
                                       "FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\");");
    EXPECT_EQ(blocking_rules(result), Rules{"add-foreign-key-validates"});
    EXPECT_NE(result.findings.back().message.find("\"User\""), std::string::npos);
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER TABLE p ADD CONSTRAINT f FOREIGN KEY (a) "
                                        "REFERENCES u (id) NOT VALID;"))
                    .empty());
}

TEST(LintConstraints, ForeignKeyFromANewTableIsFine) {
    EXPECT_TRUE(blocking_rules(lint_sql("CREATE TABLE p (id int, u int);\nALTER TABLE p ADD "
                                        "CONSTRAINT f FOREIGN KEY (u) REFERENCES users (id);"))
                    .empty());
}

TEST(LintConstraints, InlineReferencesOnAddColumnValidatesToo) {
    EXPECT_TRUE(fires(lint_sql("ALTER TABLE p ADD COLUMN u int REFERENCES users (id);"),
                      "add-foreign-key-validates"));
}

TEST(LintConstraints, CheckWithoutNotValidScans) {
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);")),
              Rules{"add-check-validates"});
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"))
                    .empty());
}

TEST(LintConstraints, UniqueAndPrimaryKeyWithoutUsingIndexBuildAnIndexUnderAccessExclusive) {
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);")),
              Rules{"add-unique-constraint"});
    EXPECT_EQ(blocking_rules(lint_sql("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);")),
              Rules{"add-unique-constraint"});
    EXPECT_TRUE(blocking_rules(lint_sql("ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX u_idx;"))
                    .empty());
    EXPECT_TRUE(
        blocking_rules(lint_sql("ALTER TABLE t ADD CONSTRAINT p PRIMARY KEY USING INDEX p_idx;"))
            .empty());
}

TEST(LintConstraints, APrimaryKeysHintMakesItsColumnsNotNullWithoutAScanFirst) {
    const LintResult result = lint_sql("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);");
    const auto found = of_rule(result, "add-unique-constraint");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_NE(found.front()->message.find("scans the table for NULLs"), std::string::npos);
    EXPECT_NE(found.front()->hint.str().find("make the key columns NOT NULL without a scan first"),
              std::string::npos)
        << found.front()->hint;
    const LintResult unique_result = lint_sql("ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);");
    const auto unique = of_rule(unique_result, "add-unique-constraint");
    ASSERT_EQ(unique.size(), 1U);
    EXPECT_EQ(unique.front()->hint.str().find("NOT NULL"), std::string::npos)
        << unique.front()->hint;
}

TEST(LintConstraints, InlineReferencesNamesTheAccessExclusiveOfAddColumn) {
    const LintResult result =
        lint_sql("ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id);");
    const auto found = of_rule(result, "add-foreign-key-validates");
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found.front()->lock,
              "ACCESS EXCLUSIVE on posts (ADD COLUMN), SHARE ROW EXCLUSIVE on users");
    EXPECT_NE(found.front()->message.find("blocking reads and writes of it"), std::string::npos)
        << found.front()->message;
    const LintResult constraint = lint_sql("ALTER TABLE posts ADD CONSTRAINT f FOREIGN KEY (a) "
                                           "REFERENCES users (id);");
    const auto added = of_rule(constraint, "add-foreign-key-validates");
    ASSERT_EQ(added.size(), 1U);
    EXPECT_EQ(added.front()->lock, "SHARE ROW EXCLUSIVE on both tables (blocks writes)");
}

TEST(LintConstraints, ValidateInTheTransactionThatAddedItNotValid) {
    const std::string sql = "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
                            "ALTER TABLE t VALIDATE CONSTRAINT c;\n";
    EXPECT_TRUE(fires(lint_sql("BEGIN;\n" + sql + "COMMIT;"), "validate-in-same-transaction"));
    EXPECT_TRUE(fires(lint_sql(sql, true), "validate-in-same-transaction"))
        << "Prisma: one transaction";
    EXPECT_FALSE(fires(lint_sql(sql), "validate-in-same-transaction")) << "autocommit";
    EXPECT_FALSE(fires(lint_sql("BEGIN;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
                                "COMMIT;\nBEGIN;\nALTER TABLE t VALIDATE CONSTRAINT c;\nCOMMIT;"),
                       "validate-in-same-transaction"));
}

} // namespace
} // namespace pgphase::planners::lint::testing
