// Every real Prisma migration of ../shared/corpus/prisma converts, and its plan loads: the only
// load errors allowed are the NOT NULL columns convert marks `# TODO` (one per mark).
#include "convert_test_support.hpp"
#include "planners/lint/linter.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace pgphase::planners::convert {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(PGPHASE_SOURCE_DIR) / ".." / "shared" / "corpus" / "prisma";

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(ConvertCorpus, EveryFileConvertsAndLoads) {
    if (!fs::exists(corpus)) {
        GTEST_SKIP() << "no corpus at " << corpus;
    }
    int files = 0;
    int operations = 0;
    int raw_sql = 0;
    int to_fill = 0;
    int faithful = 0; // no statement lint reports at error level is kept as SQL
    for (const auto& entry : fs::directory_iterator(corpus)) {
        if (entry.path().extension() != ".sql") {
            continue;
        }
        ++files;
        const Converted converted = convert_and_load(slurp(entry.path()), entry.path().string());
        const std::string name = entry.path().filename().string();
        ASSERT_FALSE(converted.result.errors.has_errors()) << name << "\n"
                                                           << converted.result.errors.to_string();
        operations += converted.result.operations;
        raw_sql += converted.result.raw_sql;
        to_fill += converted.result.to_fill;
        lint::LintOptions options;
        options.prisma = true;
        lint::Linter linter(options);
        linter.lint(lint::SourceFile(entry.path().string(), slurp(entry.path())), true);
        bool risky_sql = false;
        for (const lint::Finding& finding : linter.result().findings) {
            for (const auto& [first, last] : converted.result.kept_as_sql) {
                risky_sql = risky_sql || (finding.level == lint::Level::error &&
                                          finding.mark.line >= first && finding.mark.line <= last);
            }
        }
        faithful += risky_sql ? 0 : 1;
        if (converted.result.to_fill == 0) {
            EXPECT_TRUE(converted.loaded.plan.has_value())
                << name << "\n"
                << converted.loaded.diagnostics.to_string() << converted.result.yaml;
            continue;
        }
        int errors = 0;
        for (const Diagnostic& diagnostic : converted.loaded.diagnostics.all()) {
            if (diagnostic.severity == Severity::error) {
                ++errors;
                EXPECT_NE(diagnostic.message.find("needs a default or an \"up\""),
                          std::string::npos)
                    << name << ": " << format(diagnostic);
            }
        }
        EXPECT_EQ(errors, converted.result.to_fill) << name;
    }
    EXPECT_GE(files, 90);
    std::cout << "[ corpus   ] " << files << " files, " << operations << " operations, " << raw_sql
              << " kept as SQL, " << to_fill << " NOT NULL columns to fill\n"
              << "[ corpus   ] " << faithful << " of " << files
              << " files keep no statement lint reports at error level as SQL (deploy sends "
                 "the others to review)\n";
    // Measured when deploy began refusing such plans (2026-12-06); it may only grow.
    EXPECT_GE(faithful, 57);
}

} // namespace
} // namespace pgphase::planners::convert
