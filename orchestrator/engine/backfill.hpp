// One batch at a time: the SQL primitives the backfill engine schedules. A key batch finds its
// upper key among the next N keys after the checkpoint; a page batch (tables without a key)
// takes the next N heap pages by ctid. Either updates only the rows in its range that are not
// yet in their new shape and saves the checkpoint in the same transaction, so a crash loses at
// most the batch in flight and never skips or repeats one.
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

// The key a backfill walks: the task's key, else the table's primary key. Empty when the table
// has no primary key: it is then walked by ctid page ranges, which needs a TID range scan
// (PostgreSQL 14+); older servers are refused here with a hint.
std::vector<KeyColumn> resolve_key(Session& session, const planners::BackfillTask& task);

// Pins the range the sweep covers and the planner's row estimate: the smallest and largest key
// now, or (empty key) the table's page count now. Called once, after the sync triggers are
// live: rows written later are already right, so one sweep of the pinned range is complete.
Checkpoint pin_range(Session& session, const planners::BackfillTask& task,
                     const std::vector<KeyColumn>& key);

// Splits a pinned range into at most `workers` disjoint ranges, one checkpoint each (worker
// 0..n-1): equal page ranges for a page walk, else ranges of the first key column at quantiles
// of a sample of the table (a composite key is split by its first column only). Fewer ranges
// when the table is too small or the first column has too few distinct values.
std::vector<Checkpoint> split_range(Session& session, const planners::BackfillTask& task,
                                    const std::vector<KeyColumn>& key, const Checkpoint& pinned,
                                    int workers);

// A page walk's expected rows per heap page, from the pinned estimate; 0 = unknown.
double expected_rows_per_page(const Checkpoint& checkpoint);

struct BatchOutcome {
    std::int64_t visited = 0; // rows in the batch's range (keys, or live rows on its pages)
    std::int64_t updated = 0; // rows it changed (pending ones only)
    std::int64_t pages = 0;   // pages it covered (page walk only)
    bool range_done = false;  // nothing was left in the worker's pinned range
};

// Runs one batch after `checkpoint` — up to `size` keys, or `size` pages for a page walk
// (empty key) — and commits it together with the advanced checkpoint (written into
// `checkpoint` on success). When the range is exhausted, the checkpoint is saved done
// (end_key null); the engine records the step done once every worker is.
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
// `max_samples` of their keys. With an empty key it walks pages instead (`after` = the next
// page, samples are ctids) up to the table's current size; visited = 0 still means done.
VerifyBatch verify_batch(Session& session, const planners::BackfillTask& task,
                         const std::vector<KeyColumn>& key,
                         const std::optional<nlohmann::json>& after, std::int64_t size,
                         std::size_t max_samples);

// The pages of the task's table now (its main fork, exactly).
std::int64_t relation_pages(Session& session, const planners::BackfillTask& task);

// Read-only, PostgreSQL 14+ (a TID range scan): the same check over the rows on pages
// [from, to); samples are keys, or ctids for a keyless table. A row that an UPDATE moves
// while pages are read this way may be passed over or counted twice; where the change has a
// sync trigger, that UPDATE went through it, which wrote the row as the expressions give it.
// Each batch runs under `timeout` (statement_timeout).
constexpr planners::Milliseconds verify_batch_timeout{60'000};
VerifyBatch verify_page_range(Session& session, const planners::BackfillTask& task,
                              const std::vector<KeyColumn>& key, std::int64_t from, std::int64_t to,
                              std::size_t max_samples,
                              planners::Milliseconds timeout = verify_batch_timeout);

// How far the sweep is, 0..1: by page position for a page walk, by key position for a single
// integer key, else by rows done over the estimate (capped below 1 until the range is done).
// Never above 1. Several workers: their progress weighted by their estimated rows.
double progress(const std::vector<KeyColumn>& key, const Checkpoint& checkpoint);
double progress(const std::vector<KeyColumn>& key, const std::vector<Checkpoint>& workers);

// Rows that are not yet in their new shape (the task's pending predicate), table-wide.
std::int64_t count_pending(Session& session, const planners::BackfillTask& task);

} // namespace pgphase::orchestrator
