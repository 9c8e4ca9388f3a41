// The simple backfill: one batch at a time along the primary key (keyset bounds), each batch
// committed together with its checkpoint, so a crash loses at most the batch in flight and a
// rerun neither skips nor repeats one. The adaptive, throttled engine is a later issue.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <cstdint>
#include <functional>

namespace pgphase::orchestrator {

struct BackfillOptions {
    std::int64_t max_batches = 0; // stop after this many batches in this run; 0 = no limit
    std::function<void(planners::Milliseconds)> sleep;
};

struct BackfillResult {
    std::int64_t rows_visited = 0; // rows whose key the sweep passed, over all runs
    std::int64_t rows_updated = 0; // in this run
    std::int64_t batches = 0;      // in this run
    bool finished = false;
};

BackfillResult run_backfill(Session& session, StateStore& store, const std::string& migration,
                            int step_index, const planners::BackfillTask& task,
                            const planners::Settings& settings, const BackfillOptions& options);

// Rows that are not yet in their new shape (the task's pending predicate), table-wide.
std::int64_t count_pending(Session& session, const planners::BackfillTask& task);

} // namespace pgphase::orchestrator
