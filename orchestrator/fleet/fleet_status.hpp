// `pgphase status --fleet FILE`: every target's migrations in one table. Each target is asked
// on its own connection, `parallel` at once; one that cannot be reached is shown as such and
// the others are still shown. Only state-store reads, as `status` does.
#pragma once

#include "planners/fleet/fleet_file.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

struct TargetStatus {
    std::string name;
    bool reachable = false;
    nlohmann::json migrations = nlohmann::json::array(); // as `status --json` gives them
    std::string error;                                   // why it could not be read
};

// In the fleet file's target order.
std::vector<TargetStatus> fleet_status(const planners::fleet::Fleet& fleet,
                                       const std::string& state_schema, const std::string& name);

// {"fleet": FILE, "targets": [{"name", "reachable", "migrations": [...], "error"?}]}
nlohmann::json fleet_status_json(const planners::fleet::Fleet& fleet,
                                 const std::vector<TargetStatus>& targets);

// One row per migration of each target (a target with none gets one row saying so), then a
// row per unreachable target with its error.
std::string fleet_status_text(const planners::fleet::Fleet& fleet,
                              const std::vector<TargetStatus>& targets);

} // namespace pgphase::orchestrator::fleet
