// Lint output: readable text, JSON, and GitHub Actions workflow annotations. Pure.
#pragma once

#include "planners/lint/finding.hpp"

#include <iosfwd>
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

// Writes the result in `format` as it goes (render_json's document, for one, is never built
// whole: it takes several times the memory of its text).
void write(const LintResult& result, OutputFormat format, std::ostream& out);
std::string render(const LintResult& result, OutputFormat format);

} // namespace pgphase::planners::lint
