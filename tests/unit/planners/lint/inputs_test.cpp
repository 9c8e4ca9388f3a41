// Walking PATHs: Prisma migration folders in name order, plain .sql files sorted, problems
// reported per path; replay across the files of one run.
#include "planners/lint/linter.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace pgphase::planners::lint {
namespace {

namespace fs = std::filesystem;

class LintInputs : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() /
                 ("pgphase-lint-" +
                  std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(m_root);
    }
    void TearDown() override { fs::remove_all(m_root); }

    void write(const fs::path& relative, const std::string& text) {
        fs::create_directories((m_root / relative).parent_path());
        std::ofstream(m_root / relative) << text;
    }
    std::string path(const fs::path& relative = {}) const { return (m_root / relative).string(); }

private:
    fs::path m_root;
};

TEST_F(LintInputs, WalksAPrismaMigrationsFolderInNameOrder) {
    write("migrations/20240102_b/migration.sql", "SELECT 2;");
    write("migrations/20240101_a/migration.sql", "SELECT 1;");
    write("migrations/migration_lock.toml", "provider = \"postgresql\"");
    std::vector<std::string> errors;
    const auto inputs = collect_inputs({path("migrations")}, errors);
    EXPECT_TRUE(errors.empty());
    ASSERT_EQ(inputs.size(), 2U);
    EXPECT_EQ(inputs[0].path, path("migrations/20240101_a/migration.sql"));
    EXPECT_TRUE(inputs[0].prisma);
    EXPECT_EQ(inputs[1].path, path("migrations/20240102_b/migration.sql"));
}

TEST_F(LintInputs, AFolderHoldingMigrationsIsReadThroughIt) {
    write("prisma/migrations/1_a/migration.sql", "SELECT 1;");
    write("prisma/schema.prisma", "");
    std::vector<std::string> errors;
    EXPECT_EQ(collect_inputs({path("prisma")}, errors).size(), 1U);
    EXPECT_TRUE(errors.empty());
}

TEST_F(LintInputs, PlainSqlFilesAreSortedAndNotPrisma) {
    write("sql/V2__b.sql", "SELECT 2;");
    write("sql/V1__a.sql", "SELECT 1;");
    write("sql/README.md", "");
    std::vector<std::string> errors;
    const auto inputs = collect_inputs({path("sql")}, errors);
    ASSERT_EQ(inputs.size(), 2U);
    EXPECT_EQ(fs::path(inputs[0].path).filename(), "V1__a.sql");
    EXPECT_FALSE(inputs[0].prisma);
}

TEST_F(LintInputs, MissingPathsAndEmptyFoldersAreReportedAndTheRestLinted) {
    write("ok.sql", "DROP TABLE t;");
    fs::create_directories(path("empty"));
    const LintResult result =
        lint_paths({path("missing.sql"), path("empty"), path("ok.sql")}, LintOptions{});
    ASSERT_EQ(result.input_errors.size(), 2U);
    EXPECT_NE(result.input_errors[0].find("missing.sql"), std::string::npos);
    EXPECT_NE(result.input_errors[1].find("holds no .sql file"), std::string::npos);
    EXPECT_EQ(result.files, 1U);
}

TEST_F(LintInputs, EarlierMigrationsTellLaterOnesTheColumnTypes) {
    write("m/1_init/migration.sql", "CREATE TABLE \"User\" (id int, name VARCHAR(80));");
    write("m/2_wider/migration.sql",
          "ALTER TABLE \"User\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(200);");
    write("m/3_bigint/migration.sql", "ALTER TABLE \"User\" ALTER COLUMN \"id\" TYPE BIGINT;");
    const LintResult result = lint_paths({path("m")}, LintOptions{});
    std::vector<std::string> type_findings;
    for (const Finding& finding : result.findings) {
        if (finding.rule == "alter-column-type") {
            type_findings.push_back(
                fs::path(finding.mark.file.str()).parent_path().filename().string() + ": " +
                finding.message);
        }
    }
    ASSERT_EQ(type_findings.size(), 1U);
    EXPECT_EQ(type_findings[0], "3_bigint: changing the type of \"User\".id rewrites \"User\": "
                                "integer to bigint is not binary compatible");
}

} // namespace
} // namespace pgphase::planners::lint
