// How a fleet command runs its targets, apart from what it does on each: wave after wave, at
// most `parallel` targets of a wave at once, and no new target after the first failure. A
// target already running is asked to stop (its `stop` flag turns true) and is waited for; it
// decides how (a phase runner finishes its current step). Knows nothing of databases.
#pragma once

#include "planners/fleet/fleet_file.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

enum class TargetState {
    not_started, // an earlier failure stopped the run before it
    done,        // ran, and succeeded
    failed,      // ran, and failed: the run starts no new target
    skipped,     // did not run, and is no failure (another runner holds it)
};

struct TargetRun {
    TargetState state = TargetState::not_started;
    int exit_code = 0;  // the documented exit code of what ran (0 when it did not run)
    std::string detail; // the error, or why it was skipped
};

// Runs target `index` (of fleet.targets). `stop` turns true when another target failed.
using RunTarget = std::function<TargetRun(std::size_t index, const std::atomic<bool>& stop)>;

// One TargetRun per target, in fleet.targets' order. Each wave runs on `parallel` threads
// (fewer when the wave is smaller); `run` is called from them, once per target at most.
std::vector<TargetRun> run_waves(const planners::fleet::Fleet& fleet, const RunTarget& run);

// The worst exit code of the runs, most pressing first: 130 (interrupted), 1 (failed), 2 (bad
// input), 4 (gave up waiting for a lock: rerun later), 3 (refused by a guard, e.g. the soak:
// wait), 0. Not-started and skipped targets count as 0.
int worst_exit_code(const std::vector<TargetRun>& runs);

} // namespace pgphase::orchestrator::fleet
