// Pure helpers for release pipelines: advance targets, soak arithmetic, table conflicts.
#include "orchestrator/engine/pipeline.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <utility>

namespace pgphase::orchestrator {

namespace {

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

} // namespace

const char* target_name(AdvanceTarget target) {
    switch (target) {
    case AdvanceTarget::expand:
        return "expand";
    case AdvanceTarget::backfill:
        return "backfill";
    case AdvanceTarget::complete:
        return "complete";
    }
    return "complete";
}

std::optional<AdvanceTarget> target_from_name(const std::string& name) {
    for (AdvanceTarget target :
         {AdvanceTarget::expand, AdvanceTarget::backfill, AdvanceTarget::complete}) {
        if (name == target_name(target)) {
            return target;
        }
    }
    return std::nullopt;
}

SoakDecision decide_soak(std::int64_t expanded_at_ms, std::int64_t now_ms,
                         planners::Milliseconds required) {
    SoakDecision decision;
    decision.allowed_at_ms = expanded_at_ms + required.count();
    if (now_ms < decision.allowed_at_ms) {
        decision.allowed = false;
        decision.remaining = planners::Milliseconds(decision.allowed_at_ms - now_ms);
    }
    return decision;
}

std::string format_utc(std::int64_t epoch_ms) {
    const auto seconds = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    std::array<char, 32> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return {text.data(), length};
}

std::string format_remaining(planners::Milliseconds remaining) {
    std::int64_t left = remaining.count();
    if (left < second) {
        return std::to_string(std::max<std::int64_t>(left, 0)) + "ms";
    }
    const std::array<std::pair<std::int64_t, const char*>, 4> units = {
        {{day, "d"}, {hour, "h"}, {minute, "m"}, {second, "s"}}};
    // Two units are shown. Round up to the smaller of them, so that waiting as long as the text
    // says is always enough: 1h 59m 59s left reads "2h", never "1h 59m".
    std::size_t top = 0;
    while (left < units.at(top).first) {
        ++top;
    }
    const std::int64_t precision = units.at(std::min<std::size_t>(top + 1, units.size() - 1)).first;
    left = (left + precision - 1) / precision * precision;
    std::string out;
    int shown = 0;
    for (const auto& [size, suffix] : units) {
        const std::int64_t amount = left / size;
        left %= size;
        if (amount == 0 && shown == 0) {
            continue;
        }
        if (shown == 2) {
            break;
        }
        if (amount != 0) {
            out += (out.empty() ? "" : " ") + std::to_string(amount) + suffix;
        }
        ++shown;
    }
    return out;
}

std::string format_duration(planners::Milliseconds duration) {
    const std::int64_t ms = duration.count();
    if (ms == 0) {
        return "0s";
    }
    const std::array<std::pair<std::int64_t, const char*>, 4> units = {
        {{day, "d"}, {hour, "h"}, {minute, "m"}, {second, "s"}}};
    for (const auto& [size, suffix] : units) {
        if (ms % size == 0) {
            return std::to_string(ms / size) + suffix;
        }
    }
    return std::to_string(ms) + "ms";
}

std::vector<std::string> touched_tables(const std::vector<planners::Step>& steps) {
    std::vector<std::string> tables;
    for (const auto& step : steps) {
        if (!step.table.name.empty()) {
            tables.push_back(step.table.display());
        }
        if (step.backfill && !step.backfill->table.name.empty()) {
            tables.push_back(step.backfill->table.display());
        }
    }
    std::sort(tables.begin(), tables.end());
    tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
    return tables;
}

std::optional<TableConflict> find_table_conflict(const std::string& self,
                                                 const std::vector<planners::Step>& steps,
                                                 const std::vector<InFlightMigration>& in_flight) {
    const std::vector<std::string> mine = touched_tables(steps);
    for (const auto& other : in_flight) {
        if (other.name == self) {
            continue;
        }
        const std::vector<std::string> theirs = touched_tables(other.steps);
        for (const auto& table : mine) {
            if (std::binary_search(theirs.begin(), theirs.end(), table)) {
                return TableConflict{other.name, table};
            }
        }
    }
    return std::nullopt;
}

} // namespace pgphase::orchestrator
