// `pgphase deploy DIR`: registers the subcommand's options and runs orchestrator/deploy.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace pgphase::orchestrator::cli {

struct DeployArgs {
    std::string dir;
    std::string to = "complete";
    bool dry_run = false;
    std::string format = "text";
    std::string min_soak;
    bool force = false;
    std::string fleet; // a fleet file: every target in it, in place of --dsn
};

CLI::App* add_deploy_command(CLI::App& app, DeployArgs& args);

// Prints the report to stdout (text or JSON); returns its exit code (docs/deploy.md).
int deploy_command(const Common& common, const DeployArgs& args);

} // namespace pgphase::orchestrator::cli
