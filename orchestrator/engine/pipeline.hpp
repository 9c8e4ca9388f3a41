// What release pipelines need beyond single phases, as pure functions: the target of `advance`,
// the soak guard's arithmetic between expand and contract, and which in-flight migration
// already touches a table. No database, no clock: callers pass the database's `now()`.
#pragma once

#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

// How far `pgphase advance` goes: expand done; expand and a finished backfill; contract done.
enum class AdvanceTarget { expand, backfill, complete };

const char* target_name(AdvanceTarget target);
std::optional<AdvanceTarget> target_from_name(const std::string& name);

struct SoakDecision {
    bool allowed = true;
    std::int64_t allowed_at_ms = 0; // epoch milliseconds (UTC) from which complete may run
    planners::Milliseconds remaining{0};
};

// `complete` may run once `required` has passed since expand finished (both epoch ms, UTC).
SoakDecision decide_soak(std::int64_t expanded_at_ms, std::int64_t now_ms,
                         planners::Milliseconds required);

// 2026-12-02T12:40:00Z (second precision, UTC).
std::string format_utc(std::int64_t epoch_ms);

// "6d 23h 59m", "2h 5m", "42s", "750ms": the two largest non-zero units, for humans.
std::string format_remaining(planners::Milliseconds remaining);

// "7d", "36h", "90s", "500ms": the largest unit that divides it, as plans write durations.
std::string format_duration(planners::Milliseconds duration);

// Tables a migration's steps touch, as schema.name, sorted and without duplicates.
std::vector<std::string> touched_tables(const std::vector<planners::Step>& steps);

struct InFlightMigration {
    std::string name;
    std::vector<planners::Step> steps;
};

struct TableConflict {
    std::string other; // the in-flight migration
    std::string table; // schema.name, the first shared table
};

// The first in-flight migration (other than `self`) that touches a table `steps` touch.
std::optional<TableConflict> find_table_conflict(const std::string& self,
                                                 const std::vector<planners::Step>& steps,
                                                 const std::vector<InFlightMigration>& in_flight);

} // namespace pgphase::orchestrator
