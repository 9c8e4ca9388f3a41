// Splitting files into statements, locating them and their parse errors, reading ignore
// directives and Prisma's warnings header.
#include "planners/lint/source.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

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
    EXPECT_EQ(bad.failure->message, "syntax error at or near \";\"");
    EXPECT_EQ(bad.failure->mark.line, 2);
    EXPECT_EQ(bad.failure->mark.column, 25);
    EXPECT_EQ(file.statements()[2].kind, "DropStmt");
}

// The scanner's splitter drops a statement that does not start with a keyword; lint must
// still see it, and report it where it stands, not count 0 statements.
TEST(LintSource, KeepsAStatementThatDoesNotStartWithAKeyword) {
    const SourceFile alone("a.sql", "SELEC 2;\n");
    ASSERT_EQ(alone.statements().size(), 1U);
    EXPECT_EQ(alone.statements()[0].failure->message, "syntax error at or near \"SELEC\"");
    EXPECT_EQ(alone.statements()[0].mark.line, 1);

    const SourceFile among("a.sql", "SELECT 1;\n-- typo\nSELEC 2;\nSELECT 3;\nfoo bar\n");
    ASSERT_EQ(among.statements().size(), 4U);
    EXPECT_EQ(among.statements()[0].kind, "SelectStmt");
    EXPECT_EQ(among.statements()[1].text, "SELEC 2");
    EXPECT_EQ(among.statements()[1].mark.line, 3);
    EXPECT_TRUE(among.statements()[1].failure);
    EXPECT_EQ(among.statements()[2].kind, "SelectStmt");
    EXPECT_EQ(among.statements()[3].text, "foo bar");
    EXPECT_EQ(among.statements()[3].mark.line, 5);
}

// A file is split in chunks (so the parser never holds a big file's every node at once): any
// chunk size must give the statements one chunk gives, even with the cut inside a statement
// only the parser reads right (BEGIN ATOMIC bodies, rules with several actions).
TEST(LintSourceChunks, EveryChunkSizeGivesTheStatementsOfOneChunk) {
    const std::string text =
        "-- CreateTable\nCREATE TABLE t (id int, note text DEFAULT ';');\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\n"
        "END;\n"
        "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);\n"
        "/* a; comment */ CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
        "ALTER TABLE t ADD COLUMN \"a;b\" text;\n\n\n"
        "CREATE INDEX i ON t (id)";
    const SourceFile whole("a.sql", text, text.size() * 2);
    ASSERT_EQ(whole.statements().size(), 6U);
    EXPECT_EQ(whole.statements()[1].kind, "CreateFunctionStmt");
    EXPECT_EQ(whole.statements()[2].kind, "RuleStmt");
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{30}, std::size_t{90}}) {
        const SourceFile split("a.sql", text, chunk);
        ASSERT_EQ(split.statements().size(), whole.statements().size()) << "chunk " << chunk;
        for (std::size_t i = 0; i < whole.statements().size(); ++i) {
            const Statement& expected = whole.statements()[i];
            const Statement& got = split.statements()[i];
            EXPECT_EQ(got.text, expected.text) << "chunk " << chunk;
            EXPECT_EQ(got.offset, expected.offset);
            EXPECT_EQ(got.kind, expected.kind);
            EXPECT_EQ(got.mark.line, expected.mark.line);
            EXPECT_EQ(got.mark.column, expected.mark.column);
            EXPECT_FALSE(got.failure) << (got.failure ? got.failure->message : "");
            EXPECT_EQ(got.tree(), expected.tree());
        }
    }
}

TEST(LintSourceChunks, ASyntaxErrorIsLocatedInItsChunkAndTheOtherChunksStillParse) {
    const std::string text = "CREATE TABLE a (id int);\nSELEC 1;\n"
                             "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
                             "  SELECT 1;\n  SELECT 2;\nEND;\nDROP TABLE a;\n";
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{60}, text.size()}) {
        const SourceFile file("a.sql", text, chunk);
        ASSERT_EQ(file.statements().size(), 4U) << "chunk " << chunk;
        EXPECT_EQ(file.statements()[1].failure->message, "syntax error at or near \"SELEC\"");
        EXPECT_EQ(file.statements()[3].kind, "DropStmt");
    }
    const SourceFile file("a.sql", text, 1);
    EXPECT_EQ(file.statements()[0].kind, "CreateStmt");
    EXPECT_EQ(file.statements()[1].failure->message, "syntax error at or near \"SELEC\"");
    EXPECT_EQ(file.statements()[1].failure->mark.line, 2);
    // Read whole although the scanner alone would cut it at its inner `;`.
    EXPECT_EQ(file.statements()[2].kind, "CreateFunctionStmt");
    EXPECT_EQ(file.statements()[3].kind, "DropStmt");
    EXPECT_EQ(file.statements()[3].mark.line, 8);
}

TEST(LintSource, TreeIsTheParseTreeOfTheStatementAndNullWhenItDoesNotParse) {
    const SourceFile file("a.sql", "ALTER TABLE t DROP COLUMN a;\nSELEC 1;");
    ASSERT_EQ(file.statements().size(), 2U);
    const nlohmann::json tree = file.statements()[0].tree();
    EXPECT_EQ(tree.at("AlterTableStmt").at("relation").at("relname"), "t");
    EXPECT_TRUE(file.statements()[1].tree().is_null());
}

TEST(LintSource, CountsColumnsInCharactersNotBytes) {
    const SourceFile file("a.sql", "-- é\nSELECT 'é', ;");
    ASSERT_EQ(file.statements().size(), 1U);
    EXPECT_EQ(file.statements()[0].failure->mark.line, 2);
    EXPECT_EQ(file.statements()[0].failure->mark.column, 13);
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

// Bytes PostgreSQL rejects are located, turned into `?` in the text (so nothing invalid
// reaches the parser or JSON output) and the statement holding them is not parsed; the
// statements around it still are.
TEST(LintSourceBytes, InvalidUtf8InAStringLiteralIsLocatedAndTheOthersStillParse) {
    const SourceFile file("a.sql", "SELECT 1;\nUPDATE t SET a = 'caf\xE9';\nDROP TABLE t;\n");
    ASSERT_EQ(file.text_errors().size(), 1U);
    const TextError& error = file.text_errors()[0];
    EXPECT_EQ(error.mark.line, 2);
    EXPECT_EQ(error.mark.column, 22);
    EXPECT_EQ(error.message, "invalid UTF-8 byte sequence 0xe9; PostgreSQL rejects the statement");
    ASSERT_EQ(file.statements().size(), 3U);
    EXPECT_EQ(file.statements()[0].kind, "SelectStmt");
    EXPECT_TRUE(file.statements()[1].invalid_bytes);
    EXPECT_TRUE(file.statements()[1].kind.empty());
    EXPECT_EQ(file.statements()[1].text, "UPDATE t SET a = 'caf?'");
    EXPECT_EQ(file.statements()[2].kind, "DropStmt");
}

TEST(LintSourceBytes, InvalidUtf8InAQuotedNameAfterValidCharactersCountsColumnsInCharacters) {
    // "é" (2 bytes) is one column; 0xC3 0x28 is a lead byte without its continuation.
    const SourceFile file("a.sql", "ALTER TABLE \"\xC3\xA9t\xC3\x28\" ADD COLUMN a int;");
    ASSERT_EQ(file.text_errors().size(), 1U);
    EXPECT_EQ(file.text_errors()[0].mark.column, 16);
    EXPECT_EQ(file.text_errors()[0].message,
              "invalid UTF-8 byte sequence 0xc3; PostgreSQL rejects the statement");
}

TEST(LintSourceBytes, OverlongFormsAndSurrogatesAreInvalidAsPostgresqlReadsThem) {
    for (const std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80"}) {
        const SourceFile file("a.sql", "SELECT '" + bad + "';");
        EXPECT_EQ(file.text_errors().size(), 1U) << bad.size();
    }
    const SourceFile fine("a.sql", "SELECT '\xF0\x9F\x98\x80 \xE2\x82\xAC';");
    EXPECT_TRUE(fine.text_errors().empty());
    EXPECT_EQ(fine.statements().at(0).kind, "SelectStmt");
}

TEST(LintSourceBytes, ANulByteIsAnErrorAtItsPositionAndWhatFollowsIsStillRead) {
    const std::string text = std::string("SELECT 1;\nSELECT 'a") + '\0' + "b';\nDROP TABLE t;\n";
    const SourceFile file("a.sql", text);
    ASSERT_EQ(file.text_errors().size(), 1U);
    EXPECT_EQ(file.text_errors()[0].mark.line, 2);
    EXPECT_EQ(file.text_errors()[0].mark.column, 10);
    EXPECT_EQ(file.text_errors()[0].message, "NUL byte (0x00) in the file");
    ASSERT_EQ(file.statements().size(), 3U);
    EXPECT_TRUE(file.statements()[1].invalid_bytes);
    EXPECT_EQ(file.statements()[2].kind, "DropStmt");
}

TEST(LintSourceBytes, AByteOrderMarkIsSkippedAsPsqlSkipsItAndPositionsIgnoreIt) {
    const SourceFile file("a.sql", "\xEF\xBB\xBFSELECT 1;\nDROP TABLE t;\n");
    EXPECT_TRUE(file.had_byte_order_mark());
    EXPECT_TRUE(file.text_errors().empty());
    ASSERT_EQ(file.statements().size(), 2U);
    EXPECT_EQ(file.statements()[0].kind, "SelectStmt");
    EXPECT_EQ(file.statements()[0].mark.column, 1);
    EXPECT_EQ(file.statements()[1].kind, "DropStmt");
}

TEST(LintSourceBytes, CrlfLineEndingsKeepLinesAndColumnsRight) {
    const SourceFile file("a.sql",
                          "SELECT 1;\r\n\r\n  DROP TABLE t;\r\nALTER TABLE t ADD COLUMN;\r\n");
    ASSERT_EQ(file.statements().size(), 3U);
    EXPECT_EQ(file.statements()[1].mark.line, 3);
    EXPECT_EQ(file.statements()[1].mark.column, 3);
    EXPECT_EQ(file.statements()[1].text, "DROP TABLE t");
    EXPECT_EQ(file.statements()[2].failure->mark.line, 4);
    EXPECT_EQ(file.statements()[2].failure->mark.column, 25);
}

TEST(LintSourceBytes, InvalidBytesInACommentBetweenStatementsAreReportedToo) {
    const SourceFile file("a.sql", "SELECT 1;\n-- \xFF\xFE\nSELECT 2;\n-- end \xFF\n");
    ASSERT_EQ(file.text_errors().size(), 2U);
    EXPECT_EQ(file.text_errors()[0].message,
              "invalid UTF-8 byte sequence 0xff 0xfe; PostgreSQL rejects the statement");
    EXPECT_EQ(file.text_errors()[1].mark.line, 4);
}

// Which statements a ROLLBACK undoes, as PostgreSQL runs the file statement by statement.
std::vector<bool> rolled_back(const std::string& sql) {
    const SourceFile file("a.sql", sql);
    std::vector<bool> out;
    for (const Statement& statement : file.statements()) {
        out.push_back(statement.rolled_back);
    }
    return out;
}

TEST(LintSourceTransactions, StatementsBeforeARollbackAreRolledBackAndTheCommittedOnesAreNot) {
    const SourceFile file("a.sql", "BEGIN;\nDROP TABLE a;\nROLLBACK;\nBEGIN;\nDROP TABLE b;\n"
                                   "COMMIT;\nDROP TABLE c;\n");
    const std::vector<bool> expected{false, true, false, false, false, false, false};
    EXPECT_EQ(rolled_back(file.text()), expected);
    EXPECT_EQ(file.statements()[1].rolled_back_line, 3);
}

TEST(LintSourceTransactions, ASecondBeginInsideABlockDoesNotStartANewOne) {
    // PostgreSQL only warns at the second BEGIN: the ROLLBACK undoes both drops.
    const std::vector<bool> expected{false, true, false, true, false, false};
    EXPECT_EQ(rolled_back("BEGIN;\nDROP TABLE a;\nBEGIN;\nDROP TABLE b;\nROLLBACK;\nCOMMIT;\n"),
              expected);
}

TEST(LintSourceTransactions, RollbackToSavepointUndoesOnlyWhatFollowsTheSavepoint) {
    const std::vector<bool> expected{false, false, false, true, false, true, false, false, false};
    EXPECT_EQ(rolled_back("BEGIN;\nDROP TABLE a;\nSAVEPOINT s;\nDROP TABLE b;\n"
                          "ROLLBACK TO SAVEPOINT s;\nRELEASE s;\nDROP TABLE c;\nROLLBACK TO s;\n"
                          "COMMIT;\n"),
              (std::vector<bool>{false, false, false, true, false, false, false, false, false}));
    EXPECT_EQ(
        rolled_back("BEGIN;\nDROP TABLE a;\nSAVEPOINT s;\nDROP TABLE b;\n"
                    "ROLLBACK TO SAVEPOINT s;\nDROP TABLE c;\nROLLBACK TO s;\nCOMMIT;\nSELECT 1;"),
        expected);
}

TEST(LintSourceTransactions, ARollbackOutsideABlockAndAnUnclosedBlockUndoNothing) {
    EXPECT_EQ(rolled_back("DROP TABLE a;\nROLLBACK;\nBEGIN;\nDROP TABLE b;\n"),
              (std::vector<bool>{false, false, false, false}));
}

} // namespace
} // namespace pgphase::planners::lint
