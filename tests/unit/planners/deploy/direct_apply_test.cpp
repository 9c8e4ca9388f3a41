// direct_apply: which files deploy applies as written in one transaction, and why others run
// in phases.
#include "planners/deploy/direct_apply.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::deploy {
namespace {

DirectApply of(const std::string& sql) {
    static std::vector<std::unique_ptr<lint::SourceFile>> files; // statements point into them
    files.push_back(std::make_unique<lint::SourceFile>("m.sql", sql));
    return direct_apply(*files.back());
}

TEST(DeployDirectApply, PlainStatementsRunAsWritten) {
    const DirectApply apply = of("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN c text;\n");
    ASSERT_TRUE(apply.possible);
    ASSERT_EQ(apply.statements.size(), 2U);
    EXPECT_EQ(apply.statements[1]->text, "ALTER TABLE t ADD COLUMN c text");
}

TEST(DeployDirectApply, AWrappingBeginAndCommitAreLeftOut) {
    const DirectApply apply = of("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n");
    ASSERT_TRUE(apply.possible);
    ASSERT_EQ(apply.statements.size(), 1U);
    EXPECT_EQ(apply.statements[0]->text, "CREATE TABLE t (id int)");
}

TEST(DeployDirectApply, StatementsThatCannotRunInATransactionGoToPhases) {
    for (const std::string sql :
         {"CREATE INDEX CONCURRENTLY i ON t (c);", "DROP INDEX CONCURRENTLY i;",
          "REINDEX INDEX CONCURRENTLY i;", "VACUUM t;", "ALTER SYSTEM SET work_mem = '8MB';"}) {
        const DirectApply apply = of(sql);
        EXPECT_FALSE(apply.possible) << sql;
        EXPECT_NE(apply.reason.find("cannot run inside a transaction block"), std::string::npos)
            << sql;
    }
}

TEST(DeployDirectApply, AFileThatControlsItsTransactionsGoesToPhases) {
    for (const std::string sql : {"BEGIN;\nCREATE TABLE t (id int);\nROLLBACK;\n",
                                  "CREATE TABLE t (id int);\nCOMMIT;\nCREATE TABLE u (id int);\n",
                                  "BEGIN;\nSAVEPOINT s;\nCREATE TABLE t (id int);\nCOMMIT;\n",
                                  "BEGIN;\nCREATE TABLE t (id int);\n"}) {
        const DirectApply apply = of(sql);
        EXPECT_FALSE(apply.possible) << sql;
        EXPECT_TRUE(apply.statements.empty()) << sql;
    }
}

TEST(DeployDirectApply, SyntaxErrorsAndBadBytesAreNotAppliedDirectly) {
    EXPECT_FALSE(of("CREATE TABLE (;").possible);
    EXPECT_FALSE(of(std::string("CREATE TABLE t (c text DEFAULT '\xff');")).possible);
}

} // namespace
} // namespace pgphase::planners::deploy
