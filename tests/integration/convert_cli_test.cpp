// `pgphase convert` as a user runs it: a Prisma folder in, a plan `pgphase plan` loads out;
// bad input exits 2 at file:line:column. Needs no database.
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

struct CliRun {
    int exit_code = -1;
    std::string output; // stdout and stderr
};

std::string quoted(const std::string& arg) {
    std::string out = "'";
    for (char c : arg) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

CliRun pgphase(const std::vector<std::string>& args, bool with_stderr = true) {
    std::string command = quoted(PGPHASE_BINARY);
    for (const std::string& arg : args) {
        command += " " + quoted(arg);
    }
    command += with_stderr ? " 2>&1" : " 2>/dev/null";
    CliRun run;
    FILE* pipe = ::popen(command.c_str(), "r"); // NOLINT(cert-env33-c): the test's own binary
    std::array<char, 4096> buffer{};
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        run.output.append(buffer.data(), got);
    }
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

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

    fs::path m_dir;
};

TEST_F(ConvertCli, PrismaFolderBecomesAPlanThatPlanLoads) {
    write("20220707120437_from_app_to_resource/migration.sql",
          "ALTER TABLE \"User\" RENAME COLUMN \"email\" TO \"emailAddress\";\n"
          "CREATE INDEX \"User_name_idx\" ON \"User\"(\"name\");\n");
    const std::string plan = (m_dir / "plan.yaml").string();
    const CliRun run =
        pgphase({"convert", (m_dir / "20220707120437_from_app_to_resource").string(), "-o", plan});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("2 operation(s), 0 kept as SQL"), std::string::npos) << run.output;
    std::ifstream in(plan);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("name: \"20220707120437_from_app_to_resource\""), std::string::npos)
        << text.str();
    EXPECT_NE(text.str().find("- rename_column:"), std::string::npos) << text.str();

    const CliRun planned = pgphase({"plan", plan});
    EXPECT_EQ(planned.exit_code, 0) << planned.output;
    EXPECT_NE(planned.output.find("emailAddress"), std::string::npos) << planned.output;
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
    const CliRun run = pgphase({"convert", rename});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("- rename_column:"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("1 rename(s) to confirm, 0 NOT NULL column(s) to fill, column types "
                              "from 1 earlier migration(s)"),
              std::string::npos)
        << run.output;

    const CliRun alone = pgphase({"convert", rename, "--no-replay"});
    ASSERT_EQ(alone.exit_code, 0) << alone.output;
    EXPECT_EQ(alone.output.find("- rename_column:"), std::string::npos) << alone.output;
    EXPECT_NE(alone.output.find("- drop_column:"), std::string::npos) << alone.output;
}

TEST_F(ConvertCli, PrintsThePlanOnStdoutWithoutOutput) {
    const std::string sql = write("m.sql", "DROP INDEX \"a\";\n");
    const CliRun run = pgphase({"convert", sql}, false);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("- drop_index:"), std::string::npos) << run.output;
}

TEST_F(ConvertCli, StatementThatDoesNotParseExitsTwoAtLineAndColumn) {
    const std::string sql =
        write("bad.sql", "ALTER TABLE t RENAME a TO b;\nALTER TABLE t ADD COLUMN;\n");
    const CliRun run = pgphase({"convert", sql});
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.output.find(sql + ":2:"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("syntax error"), std::string::npos) << run.output;
}

TEST_F(ConvertCli, UnreadableFileExitsTwo) {
    const CliRun run = pgphase({"convert", (m_dir / "missing.sql").string()});
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.output.find("could not read"), std::string::npos) << run.output;
}

} // namespace
} // namespace pgphase::testing
