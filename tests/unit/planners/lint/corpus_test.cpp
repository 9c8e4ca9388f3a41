// The 97 real Prisma migrations of ../shared/corpus/prisma: no crash, no statement the parser
// rejects, and the findings equal tests/fixtures/lint/corpus-findings.txt. Regenerate it with
// scripts/update-lint-snapshot.sh and review the diff like code.
#include "planners/lint/linter.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

namespace pgphase::planners::lint {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(PGPHASE_SOURCE_DIR) / ".." / "shared" / "corpus" / "prisma";
const fs::path snapshot =
    fs::path(PGPHASE_SOURCE_DIR) / "tests" / "fixtures" / "lint" / "corpus-findings.txt";

bool env_is(const char* name, const std::string& value) {
    const char* set = std::getenv(name); // NOLINT(concurrency-mt-unsafe): read before threads
    return set != nullptr && value == set;
}

// Each file is a migration of a different project, so: Prisma semantics, no replay.
LintResult lint_corpus() {
    LintOptions options;
    options.prisma = true;
    options.replay = false;
    return lint_paths({corpus.string()}, options);
}

// One line per finding, file names without the corpus directory, then counts per rule.
std::string snapshot_text(const LintResult& result) {
    std::ostringstream out;
    std::map<std::string, std::map<std::string, int>> per_rule;
    for (const Finding& finding : result.findings) {
        out << fs::path(finding.mark.file.str()).filename().string() << ":" << finding.mark.line
            << ":" << finding.mark.column << ": " << level_name(finding.level) << ": ["
            << finding.rule << "] " << finding.message << "\n";
        ++per_rule[finding.rule][std::string(level_name(finding.level))];
    }
    out << "\n# findings per rule\n";
    for (const auto& [rule, levels] : per_rule) {
        for (const auto& [level, count] : levels) {
            out << rule << " " << level << " " << count << "\n";
        }
    }
    out << "# " << result.files << " files, " << result.statements << " statements\n";
    return out.str();
}

class LintCorpus : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::is_directory(corpus)) {
            if (env_is("CI", "true")) {
                FAIL() << "the Prisma corpus is missing at " << corpus
                       << ": CI must check out shared/ beside the repository";
            }
            GTEST_SKIP() << "no corpus at " << corpus;
        }
    }
};

TEST_F(LintCorpus, LintsEveryFileWithoutAParseFailure) {
    const LintResult result = lint_corpus();
    EXPECT_TRUE(result.input_errors.empty());
    std::size_t sql_files = 0;
    for (const auto& entry : fs::directory_iterator(corpus)) {
        sql_files += entry.path().extension() == ".sql" ? 1U : 0U;
    }
    EXPECT_EQ(result.files, sql_files);
    EXPECT_GT(result.statements, 1000U);
    for (const Finding& finding : result.findings) {
        EXPECT_NE(finding.rule, "syntax-error")
            << finding.mark.file << ":" << finding.mark.line << ": " << finding.message;
    }
}

TEST_F(LintCorpus, FindingsMatchTheSnapshot) {
    const std::string actual = snapshot_text(lint_corpus());
    if (env_is("PGPHASE_UPDATE_GOLDEN", "1")) {
        fs::create_directories(snapshot.parent_path());
        std::ofstream(snapshot, std::ios::binary) << actual;
        GTEST_SKIP() << "wrote " << snapshot;
    }
    std::ifstream in(snapshot, std::ios::binary);
    ASSERT_TRUE(in) << "no snapshot at " << snapshot << ": run scripts/update-lint-snapshot.sh";
    std::ostringstream expected;
    expected << in.rdbuf();
    // Report the first line that differs, not two pages of text.
    std::istringstream actual_lines(actual);
    std::istringstream expected_lines(expected.str());
    std::string got;
    std::string want;
    for (int line = 1;; ++line) {
        const bool more_got = static_cast<bool>(std::getline(actual_lines, got));
        const bool more_want = static_cast<bool>(std::getline(expected_lines, want));
        if (!more_got && !more_want) {
            break;
        }
        if (got != want || more_got != more_want) {
            ADD_FAILURE() << "the corpus findings changed at line " << line << " of " << snapshot
                          << "\n  expected: " << (more_want ? want : "(end)")
                          << "\n  actual:   " << (more_got ? got : "(end)")
                          << "\nrun scripts/update-lint-snapshot.sh and review git diff "
                             "tests/fixtures/lint";
            break;
        }
    }
}

} // namespace
} // namespace pgphase::planners::lint
