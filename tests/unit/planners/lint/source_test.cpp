// Splitting files into statements, locating them and their parse errors, reading ignore
// directives and Prisma's warnings header.
#include "planners/lint/source.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint {
namespace {

TEST(LintSource, SplitsStatementsAndLocatesTheirFirstToken) {
    const SourceFile file("a.sql", "-- CreateTable\nCREATE TABLE t (id int);\n\n  -- x\n"
                                   "  ALTER TABLE t ADD COLUMN a text;\n");
    ASSERT_EQ(file.statements().size(), 2U);
    EXPECT_EQ(file.statements()[0].kind, "CreateStmt");
    EXPECT_EQ(file.statements()[0].mark.line, 2);
    EXPECT_EQ(file.statements()[0].mark.column, 1);
    EXPECT_EQ(file.statements()[0].text, "CREATE TABLE t (id int)");
    EXPECT_EQ(file.statements()[1].kind, "AlterTableStmt");
    EXPECT_EQ(file.statements()[1].mark.line, 5);
    EXPECT_EQ(file.statements()[1].mark.column, 3);
}

TEST(LintSource, KeepsDollarQuotedBodiesInOneStatement) {
    const SourceFile file("a.sql", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ "
                                   "LANGUAGE sql;\nSELECT 2;");
    ASSERT_EQ(file.statements().size(), 2U);
    EXPECT_EQ(file.statements()[0].kind, "CreateFunctionStmt");
}

TEST(LintSource, ReportsASyntaxErrorWhereTheParserStoppedAndKeepsTheOtherStatements) {
    const SourceFile file("a.sql", "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN;\n"
                                   "DROP TABLE t;\n");
    ASSERT_EQ(file.statements().size(), 3U);
    const Statement& bad = file.statements()[1];
    EXPECT_TRUE(bad.kind.empty());
    EXPECT_EQ(bad.parse_error, "syntax error at or near \";\"");
    EXPECT_EQ(bad.error_mark.line, 2);
    EXPECT_EQ(bad.error_mark.column, 25);
    EXPECT_EQ(file.statements()[2].kind, "DropStmt");
}

// The scanner's splitter drops a statement that does not start with a keyword; lint must
// still see it, and report it where it stands, not count 0 statements.
TEST(LintSource, KeepsAStatementThatDoesNotStartWithAKeyword) {
    const SourceFile alone("a.sql", "SELEC 2;\n");
    ASSERT_EQ(alone.statements().size(), 1U);
    EXPECT_EQ(alone.statements()[0].parse_error, "syntax error at or near \"SELEC\"");
    EXPECT_EQ(alone.statements()[0].mark.line, 1);

    const SourceFile among("a.sql", "SELECT 1;\n-- typo\nSELEC 2;\nSELECT 3;\nfoo bar\n");
    ASSERT_EQ(among.statements().size(), 4U);
    EXPECT_EQ(among.statements()[0].kind, "SelectStmt");
    EXPECT_EQ(among.statements()[1].text, "SELEC 2");
    EXPECT_EQ(among.statements()[1].mark.line, 3);
    EXPECT_FALSE(among.statements()[1].parse_error.empty());
    EXPECT_EQ(among.statements()[2].kind, "SelectStmt");
    EXPECT_EQ(among.statements()[3].text, "foo bar");
    EXPECT_EQ(among.statements()[3].mark.line, 5);
}

TEST(LintSource, CountsColumnsInCharactersNotBytes) {
    const SourceFile file("a.sql", "-- é\nSELECT 'é', ;");
    ASSERT_EQ(file.statements().size(), 1U);
    EXPECT_EQ(file.statements()[0].error_mark.line, 2);
    EXPECT_EQ(file.statements()[0].error_mark.column, 13);
}

TEST(LintSource, ReadsIgnoreDirectivesFromTheCommentsJustBeforeAStatement) {
    const SourceFile file("a.sql", "SELECT 1;\n-- pgphase:ignore drop-table, rename-table\n"
                                   "/* pgphase:ignore drop-column */\nDROP TABLE t;\nSELECT 2;");
    ASSERT_EQ(file.statements().size(), 3U);
    const auto& ignores = file.statements()[1].ignores;
    ASSERT_EQ(ignores.size(), 3U);
    EXPECT_EQ(ignores[0].rule, "drop-table");
    EXPECT_EQ(ignores[1].rule, "rename-table");
    EXPECT_EQ(ignores[2].rule, "drop-column");
    EXPECT_EQ(ignores[0].mark.line, 2);
    EXPECT_TRUE(file.statements()[2].ignores.empty());
}

TEST(LintSource, ReadsPrismaWarningsHeader) {
    const SourceFile file("migration.sql",
                          "/*\n  Warnings:\n\n  - You are about to drop the column `a` on the "
                          "`T` table.\n  - Made the column `b` required.\n\n*/\n-- AlterTable\n"
                          "ALTER TABLE \"T\" DROP COLUMN \"a\";\n");
    ASSERT_EQ(file.prisma_warnings().size(), 2U);
    EXPECT_EQ(file.prisma_warnings()[0].text,
              "You are about to drop the column `a` on the `T` table.");
    EXPECT_EQ(file.prisma_warnings()[0].mark.line, 4);
    EXPECT_EQ(file.prisma_warnings()[0].mark.column, 3);
    EXPECT_EQ(file.prisma_warnings()[1].text, "Made the column `b` required.");
}

TEST(LintSource, ReadsPrismaWarningsWrittenAsLineComments) {
    const SourceFile file("migration.sql", "-- Warnings:\n-- - The column `x` will be lost.\n\n"
                                           "-- AlterTable\nSELECT 1;");
    ASSERT_EQ(file.prisma_warnings().size(), 1U);
    EXPECT_EQ(file.prisma_warnings()[0].text, "The column `x` will be lost.");
}

TEST(LintSource, IgnoresWarningsTextInsideStatements) {
    const SourceFile file("a.sql", "SELECT 1;\nSELECT '/* Warnings:\n - not a header */';");
    EXPECT_TRUE(file.prisma_warnings().empty());
}

} // namespace
} // namespace pgphase::planners::lint
