// A fleet run's live lines on a terminal: a headline with the counts, then one line per running
// target (its phase, step and backfill share), kept under the log lines and redrawn as the
// targets move on, at most ten times a second.
#pragma once

#include "planners/fleet/fleet_file.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

struct BoardTarget {
    enum class State { waiting, running, finished, failed } state = State::waiting;
    std::string line; // what it is doing, or how it ended
};

// The block's lines, each cut to `width` characters: "fleet F: 2 running, 5 done, 0 failed,
// 93 waiting", then "  NAME  LINE" for each running target.
std::vector<std::string> board_lines(const planners::fleet::Fleet& fleet,
                                     const std::vector<BoardTarget>& targets, std::size_t width);

class LiveBoard {
public:
    LiveBoard(const planners::fleet::Fleet& fleet, std::size_t width);
    ~LiveBoard(); // removes the block
    LiveBoard(const LiveBoard&) = delete;
    LiveBoard& operator=(const LiveBoard&) = delete;

    // From a target's thread: what it does now; `ended` with how it ended (`failed` for one
    // that did not succeed).
    void update(std::size_t index, const std::string& line, bool ended, bool failed);

private:
    const planners::fleet::Fleet& m_fleet;
    std::size_t m_width;
    std::mutex m_mutex;
    std::vector<BoardTarget> m_targets;
    std::chrono::steady_clock::time_point m_drawn{};
};

} // namespace pgphase::orchestrator::fleet
