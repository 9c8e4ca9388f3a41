// Positions inside a plan's raw SQL. Pure. (An operation's name and the plan checksum come
// from each operation's unit: planners/ops/registry.cpp.)
#include "planners/model/plan.hpp"

#include <algorithm>

namespace pgphase::planners {

std::vector<Milliseconds> default_lock_schedule() {
    std::vector<Milliseconds> schedule(20, Milliseconds{50});
    schedule.insert(schedule.end(), 20, Milliseconds{80});
    return schedule;
}

Milliseconds lock_retry_pause(int attempt) {
    const int doublings = std::clamp(attempt - 1, 0, 6);
    return std::min(Milliseconds{5'000}, Milliseconds{std::int64_t{100} << doublings});
}

std::string lock_schedule_text(const std::vector<Milliseconds>& schedule) {
    std::string out;
    for (std::size_t i = 0; i < schedule.size();) {
        std::size_t run = i;
        while (run < schedule.size() && schedule[run] == schedule[i]) {
            ++run;
        }
        out += (out.empty() ? "" : ", ") + std::to_string(schedule[i].count()) + "ms x" +
               std::to_string(run - i);
        i = run;
    }
    return out;
}

SourceMark locate(const SqlText& sql, int line, int column) {
    SourceMark at = sql.mark;
    if (!sql.mapped || line <= 0 || column <= 0 || (line > 1 && !sql.block)) {
        return at;
    }
    at.line += line - 1;
    at.column += column - 1;
    return at;
}

} // namespace pgphase::planners
