// The wave scheduler: a wave's targets are taken in order by `parallel` threads; a failure sets
// the stop flag, which keeps every later target (of this wave and the next) from starting.
#include "orchestrator/fleet/waves.hpp"

#include <algorithm>
#include <array>
#include <thread>

namespace pgphase::orchestrator::fleet {

const char* state_name(TargetState state) {
    switch (state) {
    case TargetState::not_started:
        return "not started";
    case TargetState::done:
        return "done";
    case TargetState::failed:
        return "failed";
    case TargetState::stopped:
        return "stopped";
    case TargetState::skipped:
        return "skipped";
    }
    return "?";
}

TargetRun target_run(TargetState state, int exit_code, std::string detail) {
    TargetRun run;
    run.state = state;
    run.exit_code = exit_code;
    run.detail = std::move(detail);
    return run;
}

void for_each_on_threads(std::size_t count, int parallel,
                         const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    const auto take = [&] {
        for (std::size_t k = next++; k < count; k = next++) {
            work(k);
        }
    };
    const std::size_t threads =
        std::min<std::size_t>(static_cast<std::size_t>(std::max(parallel, 1)), count);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) {
        pool.emplace_back(take);
    }
    take();
    for (std::thread& thread : pool) {
        thread.join();
    }
}

std::vector<TargetRun> run_waves(const planners::fleet::Fleet& fleet, const RunTarget& run) {
    std::vector<TargetRun> runs(fleet.targets.size());
    std::atomic<bool> stop{false};
    std::string why_not; // set once a wave ends the run
    for (std::size_t w = 0; w < fleet.waves.size(); ++w) {
        const std::vector<std::size_t>& wave = fleet.waves[w];
        if (!why_not.empty()) {
            for (const std::size_t index : wave) {
                runs[index].detail = why_not;
            }
            continue;
        }
        for_each_on_threads(wave.size(), fleet.parallel, [&](std::size_t k) {
            const std::size_t index = wave[k];
            if (stop) {
                return; // not started; its detail is written below
            }
            TargetRun result;
            try {
                result = run(index, stop);
            } catch (const std::exception& e) {
                result = target_run(TargetState::failed, 1, std::string("unexpected: ") + e.what());
            }
            if (result.state == TargetState::failed) {
                stop = true;
            }
            runs[index] = std::move(result);
        });
        // Why this wave ends the run, told to every target it leaves out.
        for (const std::size_t index : wave) {
            const std::string& name = fleet.targets[index].name;
            if (runs[index].state == TargetState::failed) {
                why_not = "not started: " + name + " failed";
                break;
            }
            if (runs[index].state == TargetState::skipped && why_not.empty()) {
                why_not = "not started: " + name + " (wave " + std::to_string(w + 1) +
                          ") is held by another runner";
            }
        }
        for (const std::size_t index : wave) {
            if (runs[index].state == TargetState::not_started) {
                runs[index].detail = why_not;
            }
        }
    }
    return runs;
}

std::size_t wave_of(const planners::fleet::Fleet& fleet, std::size_t index) {
    for (std::size_t w = 0; w < fleet.waves.size(); ++w) {
        for (const std::size_t member : fleet.waves[w]) {
            if (member == index) {
                return w + 1;
            }
        }
    }
    return 0;
}

int worst_exit_code(const std::vector<TargetRun>& runs) {
    // Most pressing first.
    static constexpr std::array<int, 5> order = {130, 1, 2, 4, 3};
    for (const int code : order) {
        if (std::any_of(runs.begin(), runs.end(),
                        [&](const TargetRun& run) { return run.exit_code == code; })) {
            return code;
        }
    }
    const auto other = std::find_if(runs.begin(), runs.end(),
                                    [](const TargetRun& run) { return run.exit_code != 0; });
    return other == runs.end() ? 0 : other->exit_code;
}

} // namespace pgphase::orchestrator::fleet
