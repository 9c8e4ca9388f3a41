// Lint output: readable text, JSON, and GitHub Actions workflow annotations. Pure.
#pragma once

#include "planners/lint/finding.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace pgphase::planners::lint {

enum class OutputFormat { as_text, as_json, as_github };

// file:line:col: severity: [rule] message, the statement, its lock and effect, the hint;
// then a summary line.
std::string render_text(const LintResult& result);
nlohmann::json render_json(const LintResult& result);
// `::error file=F,line=L,col=C,title=rule::message` per finding (warning, notice for the
// other levels), escaped as the workflow-command syntax requires.
std::string render_github(const LintResult& result);

std::string render(const LintResult& result, OutputFormat format);

} // namespace pgphase::planners::lint
