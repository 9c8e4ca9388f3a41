// The wave scheduler: a wave's targets are taken in order by `parallel` threads; a failure sets
// the stop flag, which keeps every later target (of this wave and the next) from starting.
#include "orchestrator/fleet/waves.hpp"

#include <algorithm>
#include <array>
#include <thread>

namespace pgphase::orchestrator::fleet {

std::vector<TargetRun> run_waves(const planners::fleet::Fleet& fleet, const RunTarget& run) {
    std::vector<TargetRun> runs(fleet.targets.size());
    std::atomic<bool> stop{false};
    for (const std::vector<std::size_t>& wave : fleet.waves) {
        if (stop) {
            break;
        }
        std::atomic<std::size_t> next{0};
        const auto work = [&] {
            for (std::size_t k = next++; k < wave.size(); k = next++) {
                if (stop) {
                    return; // not started: left as it is
                }
                const std::size_t index = wave[k];
                TargetRun result;
                try {
                    result = run(index, stop);
                } catch (const std::exception& e) {
                    result = {TargetState::failed, 1, std::string("unexpected: ") + e.what()};
                }
                if (result.state == TargetState::failed) {
                    stop = true;
                }
                runs[index] = std::move(result);
            }
        };
        const std::size_t threads = std::min<std::size_t>(
            static_cast<std::size_t>(std::max(fleet.parallel, 1)), wave.size());
        std::vector<std::thread> pool;
        for (std::size_t t = 1; t < threads; ++t) {
            pool.emplace_back(work);
        }
        work();
        for (std::thread& thread : pool) {
            thread.join();
        }
    }
    return runs;
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
