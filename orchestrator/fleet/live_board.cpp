#include "orchestrator/fleet/live_board.hpp"

#include "orchestrator/log/log.hpp"

#include <algorithm>
#include <array>

namespace pgphase::orchestrator::fleet {

std::vector<std::string> board_lines(const planners::fleet::Fleet& fleet,
                                     const std::vector<BoardTarget>& targets, std::size_t width) {
    std::array<std::size_t, 4> counts{};
    std::size_t name_width = 0;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        ++counts.at(static_cast<std::size_t>(targets[i].state));
        if (targets[i].state == BoardTarget::State::running) {
            name_width = std::max(name_width, fleet.targets[i].name.size());
        }
    }
    using State = BoardTarget::State;
    std::vector<std::string> lines = {
        "fleet " + fleet.source_file + ": " +
        std::to_string(counts.at(static_cast<std::size_t>(State::running))) + " running, " +
        std::to_string(counts.at(static_cast<std::size_t>(State::finished))) + " done, " +
        std::to_string(counts.at(static_cast<std::size_t>(State::failed))) + " not done, " +
        std::to_string(counts.at(static_cast<std::size_t>(State::waiting))) + " waiting"};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].state == State::running) {
            const std::string& name = fleet.targets[i].name;
            lines.push_back("  " + name + std::string(name_width - name.size() + 2, ' ') +
                            targets[i].line);
        }
    }
    for (std::string& line : lines) {
        if (line.size() > width) {
            line.resize(width);
        }
    }
    return lines;
}

LiveBoard::LiveBoard(const planners::fleet::Fleet& fleet, std::size_t width)
    : m_fleet(fleet)
    , m_width(std::max<std::size_t>(width, 20))
    , m_targets(fleet.targets.size()) {
    log::show_block(board_lines(m_fleet, m_targets, m_width));
}

LiveBoard::~LiveBoard() {
    log::show_block({});
}

void LiveBoard::update(std::size_t index, const std::string& line, bool ended, bool failed) {
    const std::lock_guard<std::mutex> lock(m_mutex);
    BoardTarget& target = m_targets.at(index);
    const BoardTarget::State before = target.state;
    // "backfill step 2/4": a new step is drawn at once, a backfill's share at most every 100 ms.
    const auto step_of = [](const std::string& text) {
        std::size_t end = 0;
        for (int words = 0; words < 3 && end != std::string::npos; ++words) {
            end = text.find(' ', end + 1);
        }
        return text.substr(0, end);
    };
    const bool new_step = step_of(target.line) != step_of(line);
    target.state = !ended   ? BoardTarget::State::running
                   : failed ? BoardTarget::State::failed
                            : BoardTarget::State::finished;
    target.line = line;
    const auto now = std::chrono::steady_clock::now();
    if (before != target.state || new_step || now - m_drawn >= std::chrono::milliseconds(100)) {
        m_drawn = now;
        log::show_block(board_lines(m_fleet, m_targets, m_width));
    }
}

} // namespace pgphase::orchestrator::fleet
