// `plan PLAN --fleet FILE`: the plan against every target's live catalog, `parallel` targets at
// once, each on its own connection (catalog reads only, as `plan --dsn` does). Targets whose
// steps and diagnostics come out the same are shown once, together, so that the one shard that
// would plan differently (a missing column, an older PostgreSQL, a table without a key) stands
// out.
#pragma once

#include "planners/fleet/fleet_file.hpp"
#include "planners/model/plan.hpp"
#include "planners/plan/render.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

struct TargetPlan {
    bool reachable = false;
    std::string error;       // why it could not be read
    std::string diagnostics; // the planner's, as `plan` prints them on stderr
    bool has_errors = false;
    std::string rendered; // as `plan --format F` prints it on stdout ("" with errors)
};

std::vector<TargetPlan> plan_fleet(const planners::fleet::Fleet& fleet, const planners::Plan& plan,
                                   const std::string& state_schema, planners::RenderFormat format);

// "plan NAME on fleet F: N targets, K different plans", then per group of targets with the same
// outcome: "== a, b (2 targets) ==", the diagnostics, the rendered plan. Unreachable targets
// last, each with its error.
std::string fleet_plan_text(const planners::fleet::Fleet& fleet, const planners::Plan& plan,
                            const std::vector<TargetPlan>& targets);

// {"fleet", "migration", "exit_code", "targets": [{"name", "reachable", "error"?,
// "diagnostics", "plan" (plan --format json's document, or null)}]}
nlohmann::json fleet_plan_json(const planners::fleet::Fleet& fleet, const planners::Plan& plan,
                               const std::vector<TargetPlan>& targets);

// 1 when a target could not be read, else 2 when a target's plan has errors, else 0.
int fleet_plan_exit_code(const std::vector<TargetPlan>& targets);

} // namespace pgphase::orchestrator::fleet
