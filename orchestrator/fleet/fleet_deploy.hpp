// `deploy DIR --fleet FILE`: one migrations folder onto every target of a fleet, in its waves,
// each target as `deploy DIR` would bring that database up to the folder. The same wave rules
// as advance --fleet: a target whose deploy does not end with exit 0 stops the run, a target
// whose deploy lock another pgphase holds is skipped.
#pragma once

#include "orchestrator/deploy/deployer.hpp"
#include "orchestrator/fleet/fleet_run.hpp"
#include "orchestrator/fleet/waves.hpp"
#include "planners/fleet/fleet_file.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

struct FleetDeploy {
    std::vector<TargetRun> runs;                      // before/after: the deploy's result
    std::vector<std::optional<DeployReport>> reports; // none for a target that did not deploy
};

FleetDeploy deploy_fleet(const planners::fleet::Fleet& fleet, const std::string& dir,
                         const DeployOptions& options, const LiveLine& on_line);

// One row per target (target, wave, result, migrations, time, rows, message), then the report
// of every target that did not end done, as `deploy` prints it.
std::string fleet_deploy_text(const planners::fleet::Fleet& fleet, const std::string& dir,
                              const FleetDeploy& deployed);

// {"fleet", "command": "deploy", "dir", "exit_code", "targets": [{"name", "wave", "result",
// "exit_code", "duration_ms", "detail", "deploy": (deploy --format json's report, or null)}]}
nlohmann::json fleet_deploy_json(const planners::fleet::Fleet& fleet, const std::string& dir,
                                 const FleetDeploy& deployed);

} // namespace pgphase::orchestrator::fleet
