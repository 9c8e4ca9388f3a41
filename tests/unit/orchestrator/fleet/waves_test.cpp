// The wave scheduler with fake targets: waves in order, at most `parallel` at once, no new
// target after a failure, running ones asked to stop, and the worst exit code. No sleeps: the
// fakes wait on each other, each wait bounded so a broken scheduler fails instead of hanging.
#include "orchestrator/fleet/waves.hpp"

#include <chrono>
#include <condition_variable>
#include <gtest/gtest.h>
#include <mutex>
#include <stdexcept>

namespace pgphase::orchestrator::fleet {
namespace {

using namespace std::chrono_literals;

planners::fleet::Fleet fleet_of(std::size_t targets, std::vector<std::vector<std::size_t>> waves,
                                int parallel) {
    planners::fleet::Fleet fleet;
    for (std::size_t i = 0; i < targets; ++i) {
        fleet.targets.push_back({"t" + std::to_string(i), "postgresql:///t", {}});
    }
    fleet.waves = std::move(waves);
    fleet.parallel = parallel;
    return fleet;
}

// What the fakes share: a log of events and a way to wait for a condition on it.
class Board {
public:
    void note(const std::string& event) {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_events.push_back(event);
        m_changed.notify_all();
    }
    void enter() {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_most = std::max(m_most, ++m_active);
        m_changed.notify_all();
    }
    void leave() {
        const std::lock_guard<std::mutex> lock(m_mutex);
        --m_active;
        m_changed.notify_all();
    }
    // Waits until `active` targets are running at once (or were); false after 10 s.
    bool wait_for_active(int active) {
        std::unique_lock<std::mutex> lock(m_mutex);
        return m_changed.wait_for(lock, 10s, [&] { return m_most >= active; });
    }
    bool wait_for_event(const std::string& event) {
        std::unique_lock<std::mutex> lock(m_mutex);
        return m_changed.wait_for(lock, 10s, [&] {
            return std::find(m_events.begin(), m_events.end(), event) != m_events.end();
        });
    }
    std::vector<std::string> events() {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_events;
    }
    int most() {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_most;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<std::string> m_events;
    int m_active = 0;
    int m_most = 0;
};

std::size_t position(const std::vector<std::string>& events, const std::string& event) {
    return static_cast<std::size_t>(std::find(events.begin(), events.end(), event) -
                                    events.begin());
}

TEST(FleetWaves, AWaveStartsOnlyOnceTheOneBeforeHasFinished) {
    Board board;
    const auto fleet = fleet_of(4, {{0}, {1, 2, 3}}, 4);
    const auto runs = run_waves(fleet, [&](std::size_t i, const std::atomic<bool>&) {
        board.note("start " + std::to_string(i));
        board.note("end " + std::to_string(i));
        return target_run(TargetState::done, 0, "");
    });
    const auto events = board.events();
    ASSERT_EQ(events.size(), 8U);
    for (const char* later : {"start 1", "start 2", "start 3"}) {
        EXPECT_LT(position(events, "end 0"), position(events, later));
    }
    for (const TargetRun& run : runs) {
        EXPECT_EQ(run.state, TargetState::done);
    }
}

TEST(FleetWaves, AtMostParallelTargetsRunAtOnceAndThatManyDo) {
    Board board;
    const auto fleet = fleet_of(6, {{0, 1, 2, 3, 4, 5}}, 3);
    const auto runs = run_waves(fleet, [&](std::size_t, const std::atomic<bool>&) {
        board.enter();
        const bool together = board.wait_for_active(3); // the first three meet here
        board.leave();
        return target_run(together ? TargetState::done : TargetState::failed, together ? 0 : 1, "");
    });
    EXPECT_EQ(board.most(), 3);
    for (const TargetRun& run : runs) {
        EXPECT_EQ(run.state, TargetState::done);
    }
}

TEST(FleetWaves, AFailedCanaryLeavesEveryOtherTargetUnstarted) {
    std::atomic<int> calls{0};
    const auto fleet = fleet_of(3, {{0}, {1, 2}}, 4);
    const auto runs = run_waves(fleet, [&](std::size_t i, const std::atomic<bool>&) {
        ++calls;
        return i == 0 ? target_run(TargetState::failed, 4, "lock given up")
                      : target_run(TargetState::done, 0, "");
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(runs[0].state, TargetState::failed);
    EXPECT_EQ(runs[1].state, TargetState::not_started);
    EXPECT_EQ(runs[2].state, TargetState::not_started);
    EXPECT_EQ(runs[2].detail, "not started: t0 failed");
    EXPECT_EQ(worst_exit_code(runs), 4);
}

TEST(FleetWaves, AHeldTargetIsSkippedItsWaveGoesOnAndNoLaterWaveStarts) {
    std::vector<std::size_t> ran;
    std::mutex mutex;
    const auto fleet = fleet_of(4, {{0, 1}, {2, 3}}, 1);
    const auto runs = run_waves(fleet, [&](std::size_t i, const std::atomic<bool>&) {
        const std::lock_guard<std::mutex> lock(mutex);
        ran.push_back(i);
        return i == 0 ? target_run(TargetState::skipped, 3, "held by pid 42")
                      : target_run(TargetState::done, 0, "");
    });
    EXPECT_EQ(ran, (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(runs[0].state, TargetState::skipped);
    EXPECT_EQ(runs[1].state, TargetState::done);
    EXPECT_EQ(runs[2].state, TargetState::not_started);
    EXPECT_EQ(runs[3].detail, "not started: t0 (wave 1) is held by another runner");
    EXPECT_EQ(worst_exit_code(runs), 3);
}

TEST(FleetWaves, AFailureAsksTheRunningTargetsToStopAndStartsNoOther) {
    Board board;
    const auto fleet = fleet_of(3, {{0, 1, 2}}, 2);
    const auto runs = run_waves(fleet, [&](std::size_t i, const std::atomic<bool>& stop) {
        board.note("start " + std::to_string(i));
        if (i == 1) {
            board.wait_for_event("start 0");
            return target_run(TargetState::failed, 1, "boom");
        }
        // Target 0 runs until asked to stop (a runner would finish its current step).
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!stop && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
        return stop ? target_run(TargetState::stopped, 0, "asked to stop")
                    : target_run(TargetState::done, 0, "never asked");
    });
    EXPECT_EQ(runs[0].state, TargetState::stopped);
    EXPECT_EQ(runs[0].detail, "asked to stop");
    EXPECT_STREQ(state_name(runs[0].state), "stopped");
    EXPECT_EQ(runs[1].state, TargetState::failed);
    EXPECT_EQ(runs[2].state, TargetState::not_started);
    EXPECT_EQ(runs[2].detail, "not started: t1 failed");
    EXPECT_EQ(board.events().size(), 2U) << "target 2 never ran";
}

TEST(FleetWaves, ATargetThatThrowsIsAFailure) {
    const auto fleet = fleet_of(2, {{0}, {1}}, 1);
    const auto runs = run_waves(fleet, [&](std::size_t, const std::atomic<bool>&) -> TargetRun {
        throw std::runtime_error("no memory");
    });
    EXPECT_EQ(runs[0].state, TargetState::failed);
    EXPECT_EQ(runs[0].detail, "unexpected: no memory");
    EXPECT_EQ(runs[1].state, TargetState::not_started);
}

TEST(FleetWaves, TheWorstExitCodeIsTheMostPressing) {
    const auto with = [](std::vector<int> codes) {
        std::vector<TargetRun> runs;
        for (const int code : codes) {
            runs.push_back(
                target_run(code == 0 ? TargetState::done : TargetState::failed, code, ""));
        }
        return worst_exit_code(runs);
    };
    EXPECT_EQ(with({0, 0}), 0);
    EXPECT_EQ(with({0, 3}), 3);
    EXPECT_EQ(with({3, 4}), 4);
    EXPECT_EQ(with({4, 2}), 2);
    EXPECT_EQ(with({2, 1, 4}), 1);
    EXPECT_EQ(with({1, 130}), 130);
    EXPECT_EQ(with({}), 0);
}

} // namespace
} // namespace pgphase::orchestrator::fleet
