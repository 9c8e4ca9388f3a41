// `pgphase undo`: registers the subcommand's options and runs orchestrator/engine/undo.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace pgphase::orchestrator::cli {

struct UndoArgs {
    std::string migration;
    std::string to = "complete"; // expand, backfill or complete
    std::string min_soak;
    bool force = false;
    bool dry_run = false;
    bool rollback = false;
};

CLI::App* add_undo_command(CLI::App& app, UndoArgs& args);

// Prints one line, as advance does (or, under --dry-run, the undo plan and its SQL); exit codes
// as advance's, and 3 when the migration cannot be undone (docs/undo.md).
int undo_command(const Common& common, const UndoArgs& args);

} // namespace pgphase::orchestrator::cli
