// `advance --fleet` and `rollback --fleet`: one plan's phases on every target of a fleet file,
// in its waves. Each target runs on a thread of its own with its own sessions, as `advance`
// (or `rollback`) would on that database alone: the same guards, locks, retries and exit codes.
// Several runners coordinate through each target's migration lock: a target another runner
// holds is skipped ("held by ..."), never run twice. Logs carry `target=NAME`.
#pragma once

#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/fleet/waves.hpp"
#include "planners/fleet/fleet_file.hpp"
#include "planners/model/plan.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

using LiveLine =
    std::function<void(std::size_t index, const std::string& line, bool ended, bool failed)>;

struct FleetRunOptions {
    std::string command = "advance"; // or "rollback"
    AdvanceTarget to = AdvanceTarget::complete;
    // As for one database (state schema, actor, soak, force, ...); each target's own stop flag
    // and progress callback are set by run_fleet.
    RunOptions run;
    // Called from a target's thread as it starts and moves on (step, backfill share), and once
    // when it ends (`ended`, with `failed` when it did not succeed).
    LiveLine on_line;
};

std::vector<TargetRun> run_fleet(const planners::fleet::Fleet& fleet, const planners::Plan& plan,
                                 const FleetRunOptions& options);

// A target's live line while it runs: its phase, step and backfill share.
std::string progress_line(const RunProgress& progress);

// The summary: one row per target (target, phase before -> after, time, rows, result, error),
// then each error in full with its hint.
std::string fleet_run_text(const planners::fleet::Fleet& fleet, const planners::Plan& plan,
                           const FleetRunOptions& options, const std::vector<TargetRun>& runs);

// The same as JSON: {"fleet", "command", "migration", "to"?, "exit_code",
// "targets": [{"name", "wave", "result", "exit_code", "phase_before", "phase_after",
// "duration_ms", "steps", "rows", "detail"}]}.
nlohmann::json fleet_run_json(const planners::fleet::Fleet& fleet, const planners::Plan& plan,
                              const FleetRunOptions& options, const std::vector<TargetRun>& runs);

} // namespace pgphase::orchestrator::fleet
