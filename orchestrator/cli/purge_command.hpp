// `pgphase purge`: registers the subcommand's options and runs orchestrator/engine/purge.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace pgphase::orchestrator::cli {

struct PurgeArgs {
    std::string migration; // only this migration's tombstones
    bool all = false;      // also the ones not expired yet
    bool dry_run = false;
};

CLI::App* add_purge_command(CLI::App& app, PurgeArgs& args);

// Lists what it purges on stdout; exit 1 when one failed, 4 when one never got its lock, else
// 0, also when there was nothing to purge (docs/undo.md).
int purge_command(const Common& common, const PurgeArgs& args);

} // namespace pgphase::orchestrator::cli
