// A fuzz-style corpus of crafted migration files run through `pgphase lint` and
// `pgphase convert` as a user runs them: invalid UTF-8 in a name, a literal, a comment and cut
// short at the end; a NUL byte; a byte-order mark; CRLF; a 10,000-character name; expressions
// nested 450 deep, 3,000 deep (past what pgphase reads) and past the parser's limit;
// BEGIN ... ROLLBACK; nested transactions and savepoints; unterminated literals; empty files.
// Each has its expected exit codes and the position the error names; none may crash, and
// --format json stays valid JSON. The sanitizer build runs this too. Needs no database.
#include "tests/integration/support.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

struct HostileFile {
    std::string name;
    std::string bytes;
    int lint_exit = 0;
    std::string lint_says; // a line lint's text output holds ("" = nothing to check)
    int convert_exit = 0;
    std::string convert_says; // in convert's stderr
};

std::string nested(int depth) {
    std::string out;
    for (int i = 0; i < depth; ++i) {
        out += "(1+";
    }
    out += "1";
    out.append(static_cast<std::size_t>(depth), ')');
    return out;
}

const std::string table = "CREATE TABLE t (id int PRIMARY KEY, c text);\n";

std::vector<HostileFile> corpus() {
    return {
        {"utf8_in_name", table + "\nALTER TABLE t ADD COLUMN \"na\xffme\" text;\n", 2,
         ":3:29: error: [invalid-encoding] invalid UTF-8 byte sequence 0xff", 2,
         ":3:29: error: invalid UTF-8 byte sequence 0xff"},
        {"utf8_in_literal", table + "UPDATE t SET c = 'caf\xc3' WHERE id = 1;\n", 2,
         ":2:22: error: [invalid-encoding] invalid UTF-8 byte sequence 0xc3", 2, ":2:22: error:"},
        {"utf8_in_comment", "-- r\xe9sum\xe9\n" + table, 2,
         ":1:5: error: [invalid-encoding] invalid UTF-8 byte sequence 0xe9", 2, ":1:5: error:"},
        {"utf8_cut_at_the_end", table + "SELECT '\xe2\x82", 2,
         ":2:9: error: [invalid-encoding] invalid UTF-8 byte sequence 0xe2 0x82", 2,
         ":2:9: error:"},
        {"nul_byte", table + std::string("DROP\0 TABLE t;\n", 15), 2,
         ":2:5: error: [invalid-encoding] NUL byte (0x00) in the file", 2, ":2:5: error: NUL byte"},
        {"byte_order_mark", "\xef\xbb\xbf" + table, 0, "0 errors, 0 warnings, 0 infos", 0, ""},
        {"bom_and_crlf",
         "\xef\xbb\xbfSET lock_timeout = '1s';\r\n\r\nALTER TABLE users ALTER COLUMN email SET "
         "NOT NULL;\r\n",
         1, ":3:1: error: [set-not-null]", 0, ""},
        {"huge_name", "CREATE TABLE \"" + std::string(10000, 'n') + "\" (id int);\n", 0, "1 info",
         0, ""},
        {"nested_450_deep", table + "UPDATE t SET id = " + nested(450) + " WHERE id = 1;\n", 0,
         "0 errors", 0, ""},
        // PostgreSQL runs it; pgphase says it cannot read it rather than overflow its stack.
        {"nested_3000_deep", table + "UPDATE t SET id = " + nested(3000) + " WHERE id = 1;\n", 2,
         ":2:1: error: [syntax-error] the statement's parse tree nests 6011 levels deep", 2,
         ":2:1: error: the statement's parse tree nests"},
        {"nested_past_the_parser", table + "UPDATE t SET id = " + nested(20000) + ";\n", 2,
         ":2:10011: error: [syntax-error] memory exhausted", 2, ":2:10011: error:"},
        {"begin_rollback",
         table + "BEGIN;\nDROP TABLE users;\nALTER TABLE orders DROP COLUMN note;\nROLLBACK;\n", 0,
         "0 errors, 0 warnings, 2 infos", 0, ""},
        {"nested_transactions", "BEGIN;\nBEGIN;\n" + table + "COMMIT;\nCOMMIT;\n", 0, "0 errors", 0,
         ""},
        {"savepoint_rolled_back",
         "BEGIN;\n" + table +
             "SAVEPOINT s;\nDROP TABLE users;\nROLLBACK TO SAVEPOINT s;\nCOMMIT;\n",
         0, "0 errors", 0, ""},
        {"unterminated_literal", table + "SELECT 'abc;\n", 2,
         ":2:8: error: [syntax-error] unterminated quoted string", 2, ":2:8: error:"},
        {"unterminated_dollar_quote", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n", 2,
         ":1:36: error: [syntax-error] unterminated dollar-quoted string", 2, ":1:36: error:"},
        {"empty", "", 0, "(0 statements)", 2, ":1:1: error: no statement to convert"},
        {"comments_only", "-- nothing\n/* at all */\n", 0, "(0 statements)", 2,
         ":1:1: error: no statement to convert"},
        {"stray_semicolons", ";;;;\n" + table + ";;;\n", 0, "(1 statement)", 0, ""},
    };
}

class HostileFiles : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("pgphase-hostile-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // Each file alone in its folder: convert reads a file's folder for earlier migrations.
    std::string write(const HostileFile& file) {
        const fs::path folder = m_dir / file.name;
        fs::create_directories(folder);
        std::ofstream(folder / (file.name + ".sql"), std::ios::binary) << file.bytes;
        return (folder / (file.name + ".sql")).string();
    }

    fs::path m_dir;
};

TEST_F(HostileFiles, EachEndsWithItsExitCodeAndPositionAndNeverCrashes) {
    for (const HostileFile& file : corpus()) {
        SCOPED_TRACE(file.name);
        const std::string path = write(file);
        const CommandResult lint = run_pgphase({"lint", path}, m_dir.string());
        EXPECT_EQ(lint.exit_code, file.lint_exit) << lint.out << lint.err;
        EXPECT_NE(lint.out.find(file.lint_says), std::string::npos) << lint.out;
        EXPECT_EQ(lint.err.find("Sanitizer"), std::string::npos) << lint.err;

        const CommandResult json = run_pgphase({"lint", path, "--format", "json"}, m_dir.string());
        EXPECT_EQ(json.exit_code, file.lint_exit) << json.err;
        EXPECT_TRUE(nlohmann::json::accept(json.out)) << json.out;

        const CommandResult convert = run_pgphase({"convert", path}, m_dir.string());
        EXPECT_EQ(convert.exit_code, file.convert_exit) << convert.out << convert.err;
        EXPECT_NE(convert.err.find(file.convert_says), std::string::npos) << convert.err;
        EXPECT_EQ(convert.err.find("Sanitizer"), std::string::npos) << convert.err;
        if (file.convert_exit == 0) {
            // What convert writes, plan loads.
            const std::string plan = (m_dir / file.name / "plan.yaml").string();
            std::ofstream(plan, std::ios::binary) << convert.out;
            const CommandResult planned = run_pgphase({"plan", plan}, m_dir.string());
            EXPECT_EQ(planned.exit_code, 0) << planned.err << convert.out.substr(0, 2000);
        }
    }
}

TEST_F(HostileFiles, OneBadFileDoesNotStopTheOthersFromBeingLinted) {
    std::vector<std::string> args = {"lint"};
    for (const HostileFile& file : corpus()) {
        args.push_back(write(file));
    }
    args.emplace_back("--format");
    args.emplace_back("json");
    const CommandResult lint = run_pgphase(args, m_dir.string());
    EXPECT_EQ(lint.exit_code, 2) << lint.err;
    const nlohmann::json report = nlohmann::json::parse(lint.out);
    EXPECT_EQ(report["summary"]["files"], corpus().size()) << lint.out.substr(0, 2000);
}

} // namespace
} // namespace pgphase::testing
