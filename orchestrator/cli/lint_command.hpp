// `pgphase lint PATH...`: registers the subcommand's options and runs the linter
// (planners/lint) over the paths. No database.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator::cli {

struct LintArgs {
    std::vector<std::string> paths;
    std::string format = "text";
    std::vector<std::string> disabled;
    bool prisma = false;
    bool no_replay = false;
    bool list_rules = false;
};

CLI::App* add_lint_command(CLI::App& app, LintArgs& args);

// Prints the findings to stdout; returns 2 for bad input (an unreadable path, a statement
// that does not parse, an unknown --disable rule), 1 when an error-level rule fired, else 0.
// With an explicit --dsn, starts from that database's column types (schema public);
// $DATABASE_URL alone is not used, so lint stays offline unless asked.
int lint_command(const Common& common, const LintArgs& args);

} // namespace pgphase::orchestrator::cli
