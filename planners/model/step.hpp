// The step model: what the planner hands the orchestrator. Steps are data: generic kinds the
// engine knows how to run (DDL in a transaction, DDL outside one, batched backfill), never
// "rename column" logic.
#pragma once

#include "planners/model/plan.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners {

enum class Phase { expand, backfill, contract };

const char* phase_name(Phase phase);

// PostgreSQL table lock levels, weakest to strongest.
enum class LockLevel {
    none,
    access_share,
    row_share,
    row_exclusive,
    share_update_exclusive,
    share,
    share_row_exclusive,
    exclusive,
    access_exclusive,
};

const char* lock_name(LockLevel lock); // "ACCESS EXCLUSIVE"

enum class StepKind {
    ddl,      // statements run as written; in one transaction when `transactional`
    backfill, // batched UPDATEs described by a BackfillTask
};

struct QualifiedName {
    std::string schema;
    std::string name;
    std::string sql() const;     // "schema"."name", always quoted
    std::string display() const; // schema.name, for humans
    bool operator==(const QualifiedName&) const = default;
};

struct Assignment {
    std::string column;
    std::string expression; // canonical SQL over the row's columns
};

// The backfill sets this custom setting (SET LOCAL) to its change's tag in its batch
// transactions. Its UPDATEs already write what its own change's trigger would, so that trigger
// skips them with a WHEN clause (plpgsql is not even entered), which keeps the trigger's cost
// off the backfill's own writes. Other changes' triggers on the same table still fire: a
// backfill of one change must not leave another change's new column unfilled.
constexpr const char* backfill_setting = "pgphase.backfill";

// A backfill is data, not SQL: the engine builds keyset-bounded batches from it.
struct BackfillTask {
    QualifiedName table;
    std::vector<std::string> key; // empty: the engine uses the table's primary key
    std::vector<Assignment> set;
    // True for a row that is not yet in its new shape. Batches touch only such rows, so a rerun
    // writes nothing new, and `complete` counts them to refuse a half-filled column.
    std::string pending_predicate;
    // The value the batches give backfill_setting: "<migration>/<change number>". Empty in
    // steps stored by pgphase before it had tags, whose triggers compare with 'on'.
    std::string trigger_tag{};
};

// A table without a primary key is walked by ctid page ranges, which only the TID range scan
// of PostgreSQL 14 makes cheap. The planner refuses such a backfill on an older server when it
// knows the version, the engine again before its first batch (the key may have gone since).
constexpr int tid_range_scan_version = 140000;

// The refusal both give, naming the table and the server version.
std::string keyless_walk_refusal(const QualifiedName& table, const std::string& server_version);

// An index built CONCURRENTLY: a failed build leaves it INVALID, so the engine drops and
// rebuilds such a leftover instead of trusting IF NOT EXISTS.
struct ConcurrentIndex {
    QualifiedName index;
};

struct Step {
    Phase phase = Phase::expand;
    StepKind kind = StepKind::ddl;
    std::string summary; // one line, for humans
    QualifiedName table; // a schema alone (empty name) for a step on a schema
    std::vector<std::string> sql;
    bool transactional = true;
    LockLevel lock = LockLevel::none; // the strongest lock it takes on `table`
    std::vector<std::string> undo;    // empty: nothing to undo (or irreversible, in contract)
    bool undo_transactional = true;
    std::optional<ConcurrentIndex> concurrent_index;
    std::optional<BackfillTask> backfill;
    // For a step that can fail on existing data (VALIDATE, a unique index build): asked only
    // after an integrity error (SQLSTATE class 23), so the failure says how many rows break it
    // and shows some. `violation_count_sql` returns one number; `violation_examples_sql` returns
    // up to 5 rows of one text column, each describing an offending row by its key.
    std::string violation_count_sql;
    std::string violation_examples_sql;
    int change_index = 0; // which change of the plan it comes from (0-based); -1: the whole plan
};

// Whether any of the steps belongs to `phase` (a plan with nothing to backfill, or to contract).
bool has_phase(const std::vector<Step>& steps, Phase phase);

} // namespace pgphase::planners
