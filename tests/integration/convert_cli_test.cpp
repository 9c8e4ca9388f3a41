// `pgphase convert` as a user runs it: a Prisma folder in, a plan `pgphase plan` loads out;
// bad input exits 2 at file:line:column. Needs no database.
#include "tests/integration/support.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

class ConvertCli : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("pgphase-convert-cli-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    std::string write(const std::string& name, const std::string& text) {
        const fs::path path = m_dir / name;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    CommandResult pgphase(const std::vector<std::string>& args) {
        return run_pgphase(args, m_dir.string());
    }

    fs::path m_dir;
};

TEST_F(ConvertCli, PrismaFolderBecomesAPlanThatPlanLoads) {
    write("20220707120437_from_app_to_resource/migration.sql",
          "ALTER TABLE \"User\" RENAME COLUMN \"email\" TO \"emailAddress\";\n"
          "CREATE INDEX \"User_name_idx\" ON \"User\"(\"name\");\n");
    const std::string plan = (m_dir / "plan.yaml").string();
    const CommandResult run =
        pgphase({"convert", (m_dir / "20220707120437_from_app_to_resource").string(), "-o", plan});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.err.find("2 operation(s), 0 kept as SQL"), std::string::npos) << run.err;
    std::ifstream in(plan);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("name: \"20220707120437_from_app_to_resource\""), std::string::npos)
        << text.str();
    EXPECT_NE(text.str().find("- rename_column:"), std::string::npos) << text.str();

    const CommandResult planned = pgphase({"plan", plan});
    EXPECT_EQ(planned.exit_code, 0) << planned.err;
    EXPECT_NE(planned.out.find("emailAddress"), std::string::npos) << planned.out;
}

// Prisma writes a renamed field as a drop and an add; the earlier migrations of the folder
// say both columns are text, so convert reads it as a rename to confirm (unless --no-replay).
TEST_F(ConvertCli, ReadsTheEarlierMigrationsOfTheFolderForColumnTypes) {
    write("migrations/20261101000000_init/migration.sql",
          "CREATE TABLE \"User\" (\"id\" SERIAL NOT NULL, \"email\" TEXT NOT NULL);\n");
    const std::string rename = write("migrations/20261125093000_rename_user_email/migration.sql",
                                     "ALTER TABLE \"User\" DROP COLUMN \"email\",\n"
                                     "ADD COLUMN     \"emailAddress\" TEXT NOT NULL;\n");
    write("migrations/20261201000000_later/migration.sql", "DROP TABLE \"User\";\n");
    const CommandResult run = pgphase({"convert", rename});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("- rename_column:"), std::string::npos) << run.out;
    EXPECT_NE(run.err.find("1 rename(s) to confirm, 0 NOT NULL column(s) to fill, column types "
                           "from 1 earlier migration(s)"),
              std::string::npos)
        << run.err;

    const CommandResult alone = pgphase({"convert", rename, "--no-replay"});
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    EXPECT_EQ(alone.out.find("- rename_column:"), std::string::npos) << alone.out;
    EXPECT_NE(alone.out.find("- drop_column:"), std::string::npos) << alone.out;
}

TEST_F(ConvertCli, PrintsThePlanOnStdoutWithoutOutput) {
    const std::string sql = write("m.sql", "DROP INDEX \"a\";\n");
    const CommandResult run = pgphase({"convert", sql});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("- drop_index:"), std::string::npos) << run.out;
}

TEST_F(ConvertCli, StatementThatDoesNotParseExitsTwoAtLineAndColumn) {
    const std::string sql =
        write("bad.sql", "ALTER TABLE t RENAME a TO b;\nALTER TABLE t ADD COLUMN;\n");
    const CommandResult run = pgphase({"convert", sql});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find(sql + ":2:"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("syntax error"), std::string::npos) << run.err;
}

TEST_F(ConvertCli, InvalidUtf8ExitsTwoAtItsPosition) {
    const std::string file =
        write("bad.sql", "ALTER TABLE t RENAME a TO b;\nUPDATE t SET b = 'caf\xE9';\n");
    const CommandResult run = pgphase({"convert", file});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_NE(run.err.find(file + ":2:22: error: invalid UTF-8 byte sequence 0xe9"),
              std::string::npos)
        << run.err;
}

// The plan is written as it is rendered, so the output file is opened only once there is a
// plan: a file that does not convert leaves an earlier plan in place.
TEST_F(ConvertCli, AFileThatDoesNotConvertLeavesTheOutputAlone) {
    const std::string plan = write("plan.yaml", "name: earlier\n");
    const std::string sql = write("bad.sql", "ALTER TABLE t ADD COLUMN;\n");
    const CommandResult run = pgphase({"convert", sql, "-o", plan});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    std::ifstream in(plan);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "name: earlier\n");
}

TEST_F(ConvertCli, AnOutputThatCannotBeWrittenExitsOne) {
    const std::string sql = write("m.sql", "DROP INDEX \"a\";\n");
    const CommandResult run =
        pgphase({"convert", sql, "-o", (m_dir / "no-such-dir" / "plan.yaml").string()});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("could not write"), std::string::npos) << run.err;
}

TEST_F(ConvertCli, UnreadableFileExitsTwo) {
    const CommandResult run = pgphase({"convert", (m_dir / "missing.sql").string()});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("could not read"), std::string::npos) << run.err;
}

} // namespace
} // namespace pgphase::testing
