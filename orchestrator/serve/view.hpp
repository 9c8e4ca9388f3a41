// What `pgphase serve` shows, as plain values: read from the state store by serve_data.cpp,
// rendered by pages.cpp, charts.cpp and metrics.cpp. The renderers are pure: no database, no
// Asio, no clock (the time of the snapshot is a field).
#pragma once

#include "orchestrator/state/store.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator::serve {

// One point of a backfill's history (StateStore::samples): written by the backfill monitor
// about every 2 s and on every state change; the last hour at full resolution, older points
// thinned to one a minute. Fields: at_ms, rows_done, rows_per_second, batch_seconds (mean
// since the previous point; 0 = no batch ran), batch_size, state (running, throttled, paused,
// interrupted, stopped, done), reason, reason_kind (pause, health_probe, replica_lag,
// blocked_sessions, long_transaction, autovacuum, wal_rate, health_query; "" when running).
using Sample = BackfillSample;

// Cumulative batch times of one backfill step over its whole life (all runs, all workers):
// a Prometheus histogram. `bucket_counts[i]` counts batches of at most `bounds()[i]` seconds
// (not cumulative: the renderer sums them), the last entry counts the rest (+Inf); empty when
// no batch ran.
using BatchHistogram = BatchTimes;

// One migration as the pages and metrics see it.
// NOLINTNEXTLINE(bugprone-exception-escape): json and containers, never noexcept-moved
struct MigrationView {
    // One element of `pgphase status --json` (docs/pipelines.md#status---json): name, phase,
    // steps_total, steps_done, next, version_schema, soak fields, paused, and `backfills`
    // (each: step (1-based), table, done, rows_done, estimated_rows, state, reason,
    // reason_kind (as Sample), progress 0..1, rows_per_second, batch_size, eta_seconds,
    // reported_at; all but step, table and done are absent before the backfill first reports).
    nlohmann::json status;
    std::vector<EventRecord> events;                // the most recent, oldest first (bounded)
    std::map<int, std::vector<Sample>> samples;     // by backfill step (1-based), oldest first
    std::map<int, BatchHistogram> batch_histograms; // by backfill step (1-based)
    std::int64_t lock_retries = 0;                  // step.lock_retry events, all time
};

// Everything a page or a scrape needs, read in one go.
struct Snapshot {
    std::int64_t now_ms = 0;               // the database's clock when read
    std::string database;                  // what the page calls the database (no password)
    std::vector<MigrationView> migrations; // newest first, as status lists them
    // Where this database's pages live: "" for `serve --dsn`, "/targets/NAME" for a target of
    // `serve --fleet` (its links, and the controls' API, go below it).
    std::string base;
};

// One target of `serve --fleet`: its snapshot, or why it could not be read.
struct TargetView {
    std::string name;
    bool reachable = false;
    std::string error; // when not reachable
    Snapshot snapshot;
};

} // namespace pgphase::orchestrator::serve
