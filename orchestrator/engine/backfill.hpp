// One keyset batch at a time: the SQL primitives the backfill engine schedules. A batch finds
// its upper key among the next N keys after the checkpoint, updates only the rows in that
// range that are not yet in their new shape, and saves the checkpoint in the same
// transaction, so a crash loses at most the batch in flight and never skips or repeats one.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

struct KeyColumn {
    std::string name;
    std::string type; // format_type(), used to cast the key parameters
};

// The key a backfill walks: the task's key, else the table's primary key.
std::vector<KeyColumn> resolve_key(Session& session, const planners::BackfillTask& task);

// Pins the range the sweep covers (smallest and largest key now) and the planner's row
// estimate. Called once, after the sync triggers are live: later rows are already right.
Checkpoint pin_range(Session& session, const planners::BackfillTask& task,
                     const std::vector<KeyColumn>& key);

struct BatchOutcome {
    std::int64_t visited = 0; // keys in the batch's range
    std::int64_t updated = 0; // rows it changed (pending ones only)
    bool range_done = false;  // nothing was left in the pinned range
};

// Runs one batch of up to `size` keys after `checkpoint` and commits it together with the
// advanced checkpoint (written into `checkpoint` on success). When the range is exhausted,
// the step is recorded done in the same transaction.
BatchOutcome run_batch(Session& session, StateStore& store, const std::string& migration, int step,
                       const planners::BackfillTask& task, const std::vector<KeyColumn>& key,
                       Checkpoint& checkpoint, std::int64_t size,
                       const planners::Settings& settings);

struct VerifyBatch {
    std::int64_t visited = 0;    // keys in the batch's range; 0 = the table is done
    std::int64_t mismatches = 0; // rows whose columns differ from what the task's SET gives
    std::optional<nlohmann::json> upper;
    std::vector<std::string> samples; // keys of mismatching rows, as JSON arrays
};

// Read-only: checks the `size` keys after `after` (none = from the start) for rows whose
// columns differ from the task's expressions (compared as text), returning at most
// `max_samples` of their keys.
VerifyBatch verify_batch(Session& session, const planners::BackfillTask& task,
                         const std::vector<KeyColumn>& key,
                         const std::optional<nlohmann::json>& after, std::int64_t size,
                         std::size_t max_samples);

// How far the sweep is, 0..1: by key position for a single integer key, else by rows done
// over the estimate (capped below 1 until the range is done). Never above 1.
double progress(const std::vector<KeyColumn>& key, const Checkpoint& checkpoint);

// Rows that are not yet in their new shape (the task's pending predicate), table-wide.
std::int64_t count_pending(Session& session, const planners::BackfillTask& task);

} // namespace pgphase::orchestrator
