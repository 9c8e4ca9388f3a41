// `--fleet FILE`: the commands that run on every database of a fleet file in place of one
// --dsn. So far `status`; docs/fleet.md says which commands take it.
#pragma once

#include "orchestrator/cli/common.hpp"
#include "orchestrator/deploy/deployer.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "planners/fleet/fleet_file.hpp"

#include <string>

namespace pgphase::orchestrator::cli {

// The fleet file, its ${VAR} read from the environment; throws CommandError (exit 2) listing
// every problem at its file:line:column. Sets a 10-second PGCONNECT_TIMEOUT unless one is set,
// so that a target that does not answer is reported instead of holding the command.
planners::fleet::Fleet load_fleet(const std::string& path);

struct PhaseArgs;

// `advance --fleet FILE` and `rollback --fleet FILE`: the plan on every target, in waves; the
// summary on stdout (text or --format json); the worst exit code of the targets.
int fleet_phase_command(const Common& common, const std::string& command,
                        const planners::Plan& plan, const PhaseArgs& args,
                        const RunOptions& options);

struct DeployArgs;

// `plan PLAN --fleet FILE [--format F]`: the plan against every target's catalog, targets with
// the same outcome together; exit 1 when a target could not be read, 2 when a plan has errors.
int fleet_plan_command(const Common& common, const planners::Plan& plan, const std::string& format,
                       const std::string& path);

// `deploy DIR --fleet FILE`: the folder onto every target, in waves; the summary on stdout
// (text, or --format json); the worst exit code of the targets.
int fleet_deploy_command(const Common& common, const DeployArgs& args,
                         const DeployOptions& options);

// `status --fleet FILE [name] [--json]`: exit 0, or 1 when a target could not be read.
int fleet_status_command(const Common& common, const std::string& path, const std::string& name,
                         bool as_json);

} // namespace pgphase::orchestrator::cli
