// `pgphase lint` as a user runs it: exit codes, formats, --disable, ignore comments. Needs no
// database, so these run without PGPHASE_TEST_DSN.
#include "tests/integration/support.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

class LintCli : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("pgphase-lint-cli-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    std::string write(const std::string& name, const std::string& sql) {
        const fs::path path = m_dir / name;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << sql;
        return path.string();
    }

    CommandResult lint(const std::vector<std::string>& args) {
        std::vector<std::string> command{"lint"};
        command.insert(command.end(), args.begin(), args.end());
        return run_pgphase(command, m_dir.string());
    }

    fs::path m_dir;
};

TEST_F(LintCli, ExitsZeroWhenNothingBlocks) {
    const std::string file = write("ok.sql", "SET lock_timeout = '2s';\n"
                                             "CREATE INDEX CONCURRENTLY i ON users (email);\n"
                                             "ALTER TABLE users ADD COLUMN note text;\n");
    const CommandResult run = lint({file});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "0 errors, 0 warnings, 0 infos in 1 file (3 statements)\n");
}

TEST_F(LintCli, ExitsZeroOnWarningsOnly) {
    const std::string file = write("w.sql", "ALTER TABLE users ADD COLUMN note text;\n");
    const CommandResult run = lint({file});
    EXPECT_EQ(run.exit_code, 0) << run.out;
    EXPECT_NE(run.out.find(":1:1: warning: [missing-lock-timeout]"), std::string::npos) << run.out;
}

TEST_F(LintCli, ExitsOneWhenAnErrorRuleFiresAndPrintsWhereAndWhy) {
    const std::string file = write("e.sql", "SET lock_timeout = '2s';\n"
                                            "CREATE INDEX i ON users (email);\n");
    const CommandResult run = lint({file});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.out.find(file + ":2:1: error: [create-index-non-concurrent] creating index i on "
                                  "users blocks writes to the table while the index is built\n"
                                  "    | CREATE INDEX i ON users (email)\n"
                                  "    lock: SHARE (blocks writes); scans the table to build the "
                                  "index\n    hint: CREATE INDEX CONCURRENTLY"),
              std::string::npos)
        << run.out;
}

TEST_F(LintCli, ExitsTwoOnASyntaxErrorAndSaysWhere) {
    const std::string file = write("bad.sql", "SELECT 1;\nALTER TABLE users ADD COLUMN;\n");
    const CommandResult run = lint({file});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.out.find(file + ":2:29: error: [syntax-error] syntax error at or near \";\""),
              std::string::npos)
        << run.out;
}

TEST_F(LintCli, ExitsTwoOnAnUnreadablePathButLintsTheOthers) {
    const std::string file = write("e.sql", "DROP TABLE users;\n");
    const CommandResult run = lint({(m_dir / "nope.sql").string(), file});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.out.find("error: could not read \"" + (m_dir / "nope.sql").string()),
              std::string::npos);
    EXPECT_NE(run.out.find("[drop-table]"), std::string::npos);
}

TEST_F(LintCli, ExitsTwoOnAnUnknownDisabledRule) {
    const CommandResult run = lint({write("e.sql", "SELECT 1;"), "--disable", "drop-tabel"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("--disable names unknown rule \"drop-tabel\""), std::string::npos);
}

TEST_F(LintCli, DisableAndIgnoreCommentsSilenceRules) {
    const std::string file = write("d.sql", "-- pgphase:ignore drop-column\n"
                                            "ALTER TABLE users DROP COLUMN legacy;\n"
                                            "DROP TABLE old_sessions;\n");
    const CommandResult run =
        lint({file, "--disable", "drop-table", "--disable", "missing-lock-timeout"});
    EXPECT_EQ(run.exit_code, 0) << run.out;
    EXPECT_EQ(run.out.find("[drop-"), std::string::npos);
}

TEST_F(LintCli, JsonFormat) {
    const std::string file = write("j.sql", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n");
    const CommandResult run = lint({"--format", "json", file});
    EXPECT_EQ(run.exit_code, 1);
    const nlohmann::json out = nlohmann::json::parse(run.out);
    ASSERT_EQ(out.at("findings").size(), 2U);
    EXPECT_EQ(out.at("findings")[0].at("rule"), "missing-lock-timeout");
    EXPECT_EQ(out.at("findings")[1].at("rule"), "set-not-null");
    EXPECT_EQ(out.at("findings")[1].at("line"), 1);
    EXPECT_EQ(out.at("summary").at("errors"), 1);
}

TEST_F(LintCli, InvalidUtf8ExitsTwoAtItsPositionInValidJsonAndTheOtherFilesAreStillLinted) {
    const std::string bad =
        write("1_bad.sql", "SELECT 1;\nALTER TABLE \"caf\xE9\" ADD COLUMN a int;\n");
    const std::string nul = write("2_nul.sql", std::string("SELECT 'a") + '\0' + "';\n");
    const std::string other = write("3_other.sql", "SET lock_timeout = '1s';\nDROP TABLE t;\n");
    const CommandResult text = lint({bad, nul, other});
    EXPECT_EQ(text.exit_code, 2) << text.out << text.err;
    EXPECT_NE(text.out.find(bad + ":2:17: error: [invalid-encoding] invalid UTF-8 byte sequence "
                                  "0xe9; PostgreSQL rejects the statement"),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find(nul + ":1:10: error: [invalid-encoding] NUL byte (0x00) in the file"),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find(other + ":2:1: error: [drop-table]"), std::string::npos) << text.out;

    const CommandResult json = lint({"--format", "json", bad, nul, other});
    EXPECT_EQ(json.exit_code, 2) << json.err;
    const nlohmann::json out = nlohmann::json::parse(json.out);
    std::vector<std::string> found;
    for (const auto& finding : out.at("findings")) {
        found.push_back(finding.at("rule").get<std::string>() + "@" +
                        std::to_string(finding.at("line").get<int>()) + ":" +
                        std::to_string(finding.at("column").get<int>()));
    }
    EXPECT_EQ(found, (std::vector<std::string>{"invalid-encoding@2:17", "invalid-encoding@1:10",
                                               "drop-table@2:1"}))
        << json.out;
}

TEST_F(LintCli, AByteOrderMarkIsSkippedAndCrlfPositionsAreRight) {
    const std::string file = write("bom.sql", "\xEF\xBB\xBFSET lock_timeout = '1s';\r\n\r\n"
                                              "  DROP TABLE t;\r\n");
    const CommandResult run = lint({file});
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_NE(run.out.find(file + ":3:3: error: [drop-table]"), std::string::npos) << run.out;
    EXPECT_EQ(run.out.find("syntax-error"), std::string::npos) << run.out;
}

TEST_F(LintCli, GithubFormat) {
    const std::string file = write("g.sql", "SET lock_timeout = '1s';\nDROP TABLE t;\n");
    const CommandResult run = lint({"--format", "github", file});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.out.rfind("::error file=" + file +
                                ",line=2,col=1,title=drop-table::dropping t "
                                "loses its data",
                            0),
              0U)
        << run.out;
}

TEST_F(LintCli, APrismaMigrationRunsInOneTransaction) {
    write("migrations/20240101_a/migration.sql", "CREATE TABLE t (id int, name varchar(80));\n");
    write("migrations/20240102_b/migration.sql",
          "-- CreateIndex\nCREATE INDEX CONCURRENTLY t_name ON t (name);\n"
          "-- AlterTable\nALTER TABLE t ALTER COLUMN name SET DATA TYPE VARCHAR(200);\n");
    const CommandResult run = lint({(m_dir / "migrations").string()});
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_NE(run.out.find("20240102_b/migration.sql:2:1: error: [concurrently-in-transaction]"),
              std::string::npos)
        << run.out;
    EXPECT_EQ(run.out.find("alter-column-type"), std::string::npos)
        << "varchar(80) to varchar(200), known from the first migration, does not rewrite";
}

TEST_F(LintCli, ListRules) {
    const CommandResult run = lint({"--list-rules"});
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_NE(run.out.find("create-index-non-concurrent"), std::string::npos);
}

} // namespace
} // namespace pgphase::testing
