// The state store: schema `pgphase` (or --state-schema) in the target database. It holds each
// migration's plan checksum, its planned steps (immutable once started), its phase, per-step
// progress, backfill checkpoints and an event log. Nothing the orchestrator needs is on disk.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "planners/model/step.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

// Where a migration stands. `*ing` phases mean a command started and has not finished: rerun it.
enum class MigrationPhase {
    expanding,
    expanded,
    backfilling,
    backfilled,
    contracting,
    completed,
    rolling_back,
    rolled_back,
};

const char* phase_name(MigrationPhase phase);
std::optional<MigrationPhase> phase_from_name(const std::string& name);

struct MigrationRecord { // NOLINT(bugprone-exception-escape): json members; never noexcept-moved
    std::string name;
    std::string schema;
    std::string checksum;
    nlohmann::json steps; // as planned at start
    MigrationPhase phase = MigrationPhase::expanding;
    std::vector<int> done_steps; // indexes into steps
    std::string created_at;
    std::string updated_at;
    std::string plan_text;                      // the plan file as it was at start
    std::string expanded_at;                    // when expand finished (UTC); "" before
    std::optional<std::int64_t> expanded_at_ms; // the same, epoch milliseconds
};

// One row of the event log: who did what to which migration, and when.
// clang-tidy 14 flags its implicit special members, whose members (strings, an integer, a json
// value) all move without throwing.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct EventRecord {
    std::int64_t id = 0;
    std::string migration;
    std::string at; // UTC, millisecond precision
    std::string actor;
    std::string command; // the pgphase command that wrote it; "" when unknown (before v3)
    std::string event;
    nlohmann::json detail;
};

// One worker's place in a backfill (one row per worker; a single worker is worker 0). A key
// walk stores keys as JSON arrays of text; a page walk (tables without a key) stores page
// numbers the same way: start_key = its first page, end_key = the page after its last,
// last_key = the next page to do.
struct Checkpoint {
    std::optional<nlohmann::json> last_key;  // JSON array of key values as text; none yet
    std::optional<nlohmann::json> end_key;   // pinned when the sweep starts; null = done/empty
    std::optional<nlohmann::json> start_key; // the smallest key when pinned, for progress
    std::int64_t rows_done = 0;
    std::int64_t batches = 0;
    std::int64_t total_estimate = 0; // rows in the pinned range (planner estimate), 0 = unknown
    int worker = 0;
    // The worker's share of the pinned range: {"after": v, "through": v} on the first key column
    // (either may be null: open), or {"pages": true} for a page walk; none = the whole key range.
    std::optional<nlohmann::json> bounds;
};

// Runtime controls from another shell (pgphase pause/resume/tune); nullopt = plan setting.
struct Controls {
    bool paused = false;
    std::string paused_by;
    std::optional<std::int64_t> max_rows_per_second;
    std::optional<std::int64_t> max_batch_size;
    std::optional<std::int64_t> target_batch_time_ms;
};

// The batch times of one backfill step over its whole life (every run, every worker), kept
// with its status: /metrics shows them as a histogram.
struct BatchTimes {
    static const std::vector<double>& bounds() { // seconds
        static const std::vector<double> seconds = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        return seconds;
    }
    std::vector<std::int64_t> bucket_counts; // bounds().size() + 1; the last: above them all
    double sum_seconds = 0;
    std::int64_t count = 0;

    void record(double seconds);
    nlohmann::json to_json() const;
    static BatchTimes from_json(const nlohmann::json& json); // {} or malformed: empty
};

// What a running backfill last reported, for `status` in another shell. Each report is also
// kept as a sample (backfill_samples) for the charts of `pgphase serve`.
struct BackfillStatus {
    std::string state; // running, throttled, paused, interrupted, done
    std::string reason;
    std::string reason_kind; // Throttle::kind: pause, replica_lag, …; "" when running
    std::int64_t batch_size = 0;
    double rows_per_second = 0;
    double progress = 0; // 0..1
    std::optional<double> eta_seconds;
    std::string updated_at;
    std::int64_t rows_done = 0; // every worker's, since the backfill started
    double batch_seconds = 0;   // mean batch time since the previous report; 0 = none ran
    BatchTimes batch_times;     // cumulative
};

// One kept report of a backfill (see BackfillStatus), oldest first.
struct BackfillSample {
    std::int64_t at_ms = 0; // epoch milliseconds
    std::int64_t rows_done = 0;
    double rows_per_second = 0;
    double batch_seconds = 0;
    std::int64_t batch_size = 0;
    std::string state;
    std::string reason;
    std::string reason_kind;
};

// SQL giving a timestamptz column as UTC text, 2026-12-06T10:00:00Z.
std::string utc_sql(const std::string& column);

// What contract kept instead of dropping: a column under its tombstone name, or a table moved
// into the tombstone schema (docs/undo.md).
struct TombstoneRecord {
    std::int64_t id = 0;
    std::string migration;
    int change = 0;   // the change's number in its plan (1-based)
    std::string kind; // "column" or "table"
    // Where the kept column's table, or the kept table, is now ("" when it is gone), and where
    // it was at contract.
    std::string schema;
    std::string table;
    std::string original_schema;
    std::string original_table;
    std::string name;      // the column's or table's name before contract
    std::string tombstone; // its name now
    std::string marker;    // a column's marker of rows written since contract (column, trigger)
    nlohmann::json relaxed = nlohmann::json::array(); // [{kind, name, definition}] dropped by it
    std::string kept_at;                              // UTC
    std::string expires_at;                           // UTC
    std::string purged_at;                            // UTC; "" while kept
    bool expired = false;
    // The disk it holds: a table's with its indexes and TOAST; a column's estimated from
    // pg_stats (average width times rows), -1 when the table was never analyzed.
    std::int64_t bytes = -1;
    planners::QualifiedName current_table() const { return {schema, table}; }
};

class StateStore {
public:
    static constexpr int current_version = 6;

    StateStore(Session& session, std::string schema, std::string actor);

    // Creates or upgrades the schema; safe when several pgphase processes start at once.
    void ensure();

    const std::string& schema() const { return m_schema; }
    std::string table(const std::string& name) const; // "pgphase"."name"

    // Tags the events this store writes with the pgphase command that runs (history shows it).
    void set_command(std::string command) { m_command = std::move(command); }

    std::optional<MigrationRecord> find(const std::string& migration);
    std::vector<MigrationRecord> all();
    // Migrations started and neither completed nor rolled back, read in `tx` after taking the
    // lock that serializes starts (lock_starts), so two starts cannot both miss each other.
    std::vector<MigrationRecord> in_flight(Transaction& tx);
    void lock_starts(Transaction& tx);
    // The database's clock, epoch milliseconds: every runner of a pipeline agrees on it.
    std::int64_t now_ms();

    void create(Transaction& tx, const std::string& migration, const std::string& schema,
                const std::string& checksum, const std::string& plan_text,
                const nlohmann::json& steps);
    void set_phase(Transaction& tx, const std::string& migration, MigrationPhase phase);
    void set_phase(const std::string& migration, MigrationPhase phase);
    void mark_step(Transaction& tx, const std::string& migration, int step, bool done);
    void mark_step(const std::string& migration, int step, bool done);

    // Every worker's checkpoint of a step, by worker; empty when the backfill has not started.
    std::vector<Checkpoint> checkpoints(const std::string& migration, int step);
    // The step's checkpoints summed up (rows, batches, estimate); last_key is the only worker's,
    // or an array of every worker's.
    std::optional<Checkpoint> checkpoint(const std::string& migration, int step);
    void save_checkpoint(Transaction& tx, const std::string& migration, int step,
                         const Checkpoint& checkpoint);
    void clear_checkpoints(Transaction& tx, const std::string& migration);
    void clear_checkpoint(Transaction& tx, const std::string& migration, int step);

    Controls controls(const std::string& migration);
    void set_paused(const std::string& migration, bool paused);
    void tune(const std::string& migration, const Controls& tuning);

    std::optional<BackfillStatus> backfill_status(const std::string& migration, int step);
    // Saves the status and keeps it as a sample, in one statement.
    void save_backfill_status(const std::string& migration, int step, const BackfillStatus& status);
    // Thins the samples of a step: every one of the last hour, one a minute before that.
    void prune_samples(const std::string& migration, int step);
    // The newest `limit` samples of a step, oldest first.
    std::vector<BackfillSample> samples(const std::string& migration, int step, int limit);

    void event(Transaction& tx, const std::string& migration, const std::string& event,
               const nlohmann::json& detail = nlohmann::json::object());
    void event(const std::string& migration, const std::string& event,
               const nlohmann::json& detail = nlohmann::json::object());
    // The event log, oldest first; one migration when `migration` is set; without `steps`,
    // step.done/step.undone are left out (phase transitions, overrides, pauses remain).
    std::vector<EventRecord> events(const std::string& migration, bool steps);
    // The newest `limit` events of a migration (steps included), oldest first.
    std::vector<EventRecord> recent_events(const std::string& migration, int limit);
    std::int64_t count_events(const std::string& migration, const std::string& event);

    // Tombstones, oldest first; purged ones only when asked. Empty on a store older than
    // version 6 (reading never upgrades it).
    std::vector<TombstoneRecord> tombstones(bool include_purged);
    void mark_purged(Transaction& tx, std::int64_t id);

private:
    std::vector<std::string> tombstone_upgrade() const; // tombstones.cpp

    Session& m_session;
    std::string m_schema;
    std::string m_actor;
    std::string m_command;
};

} // namespace pgphase::orchestrator
