// How a fleet command runs its targets, apart from what it does on each: wave after wave, at
// most `parallel` targets of a wave at once, and no new target after the first failure. A
// target already running is asked to stop (its `stop` flag turns true) and is waited for; it
// decides how (a phase runner finishes its current step). Knows nothing of databases.
#pragma once

#include "planners/fleet/fleet_file.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

enum class TargetState {
    not_started, // an earlier failure (or a held target of an earlier wave) kept it from starting
    done,        // ran, and succeeded
    failed,      // ran, and failed: the run starts no new target
    stopped,     // ran, and stopped between steps because another target failed
    skipped,     // did not run: another runner holds it. No failure, but no later wave starts
};

const char* state_name(TargetState state);

struct TargetRun {
    TargetState state = TargetState::not_started;
    int exit_code = 0;  // the documented exit code of what ran (0 when it did not run)
    std::string detail; // the error, why it was skipped, or why it did not start
    // What it did, for the summary: phases before and after ("" when not started, or unknown
    // when `reached` is false: its database could not be reached), rows and time.
    bool reached = false;
    std::string before;
    std::string after;
    int steps = 0;
    std::int64_t rows = 0;
    std::int64_t duration_ms = 0;
};

// A run with only its outcome filled in.
TargetRun target_run(TargetState state, int exit_code, std::string detail);

// Runs target `index` (of fleet.targets). `stop` turns true when another target failed.
using RunTarget = std::function<TargetRun(std::size_t index, const std::atomic<bool>& stop)>;

// Calls `work(k)` once for each k in [0, count), in order of k, on at most `parallel` threads at
// once (the calling thread among them); returns when all calls have returned.
void for_each_on_threads(std::size_t count, int parallel,
                         const std::function<void(std::size_t)>& work);

// One TargetRun per target, in fleet.targets' order. Each wave runs on `parallel` threads
// (fewer when the wave is smaller); `run` is called from them, once per target at most. A wave
// with a failed or a skipped target is the last to run: a canary held by another runner has not
// proven anything to this one. Targets left out get a `detail` that names the reason.
std::vector<TargetRun> run_waves(const planners::fleet::Fleet& fleet, const RunTarget& run);

// The 1-based number of the wave target `index` is in (0 when in none).
std::size_t wave_of(const planners::fleet::Fleet& fleet, std::size_t index);

// The worst exit code of the runs, most pressing first: 130 (interrupted), 1 (failed), 2 (bad
// input), 4 (gave up waiting for a lock: rerun later), 3 (refused by a guard, e.g. the soak,
// or held by another runner: wait), 0. A target counts with the exit_code it carries.
int worst_exit_code(const std::vector<TargetRun>& runs);

} // namespace pgphase::orchestrator::fleet
