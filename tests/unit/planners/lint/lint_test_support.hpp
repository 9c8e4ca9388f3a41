// Lints SQL text as one file and asks which rules fired where. No files, no database.
#pragma once

#include "planners/lint/linter.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace pgphase::planners::lint::testing {

inline LintResult lint_sql(const std::string& sql, bool prisma = false, LintOptions options = {}) {
    Linter linter(std::move(options));
    linter.lint(SourceFile("m.sql", sql), prisma);
    return linter.result();
}

// The same against a live catalog, as `lint --dsn` reads it.
inline LintResult lint_with_catalog(const Catalog& catalog, const std::string& sql) {
    Linter linter(LintOptions{}, catalog);
    linter.lint(SourceFile("m.sql", sql), false);
    return linter.result();
}

// Lints the files in order, replaying each into the schema model the next one sees.
inline LintResult lint_files(const std::vector<std::string>& files, LintOptions options = {}) {
    Linter linter(std::move(options));
    for (std::size_t i = 0; i < files.size(); ++i) {
        linter.lint(SourceFile("m" + std::to_string(i) + ".sql", files[i]), false);
    }
    return linter.result();
}

inline std::vector<const Finding*> of_rule(const LintResult& result, const std::string& rule) {
    std::vector<const Finding*> out;
    for (const Finding& finding : result.findings) {
        if (finding.rule == rule) {
            out.push_back(&finding);
        }
    }
    return out;
}

inline bool fires(const LintResult& result, const std::string& rule) {
    return !of_rule(result, rule).empty();
}

inline std::vector<std::string> rules(const LintResult& result) {
    std::vector<std::string> out;
    for (const Finding& finding : result.findings) {
        out.push_back(finding.rule);
    }
    return out;
}

// Every rule that fired, with the style and lock-timeout ones left out, for tests about one
// statement's blocking rules.
inline std::vector<std::string> blocking_rules(const LintResult& result) {
    std::vector<std::string> out;
    for (const Finding& finding : result.findings) {
        if (finding.level == Level::error ||
            (finding.level == Level::warning && finding.rule != "missing-lock-timeout")) {
            out.push_back(finding.rule);
        }
    }
    return out;
}

} // namespace pgphase::planners::lint::testing
