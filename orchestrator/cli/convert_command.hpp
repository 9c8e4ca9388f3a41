// `pgphase convert FILE [-o plan.yaml]`: registers the subcommand and writes the plan that
// planners/convert makes of a raw SQL migration. No database.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace pgphase::orchestrator::cli {

struct ConvertArgs {
    std::string path;
    std::string output;     // empty: stdout
    bool no_replay = false; // do not read the earlier migrations of the same folder
};

CLI::App* add_convert_command(CLI::App& app, ConvertArgs& args);

// Reads the migrations before FILE in its folder (a Prisma migrations folder, or a folder of
// .sql files sorted by name) for the column types they create, as lint does, unless
// --no-replay. Writes the plan to --output (or stdout) and a summary to stderr; returns 2 for bad
// input (an unreadable file, a statement that does not parse, reported at file:line:column), else
// 0.
int convert_command(const ConvertArgs& args);

} // namespace pgphase::orchestrator::cli
