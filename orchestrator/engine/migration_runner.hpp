// Runs a migration's phases against a live database: start (expand), backfill, complete
// (contract) and rollback. Enforces phase order, the plan checksum and one pgphase per
// migration (a session advisory lock); records every step in the state store so any command
// can be rerun after a crash and continues where it stopped.
#pragma once

#include "orchestrator/engine/backfill_engine.hpp"
#include "orchestrator/engine/pipeline.hpp"
#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/prisma/prisma_history.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

// Where a running command stands, for a fleet run's live lines.
struct RunProgress {
    std::string phase;     // expand, backfill, contract or rollback
    int step = 0;          // 1-based
    int total = 0;         // steps of the migration
    std::string summary;   // the step's
    double fraction = -1;  // a backfill's share done (0..1); -1 for other steps
    std::int64_t rows = 0; // a backfill's rows done
};

struct RunOptions {
    std::string state_schema = "pgphase";
    std::string actor;            // who runs it, for the event log
    std::string command = "run";  // shown in application_name and lock-holder messages
    std::int64_t max_batches = 0; // backfill: stop after this many batches (0 = all)
    bool progress_bar = false;    // backfill: a live bar on stderr
    std::function<void(planners::Milliseconds)> sleep; // default: really sleep
    // complete: the soak guard waits the longer of the plan's contract_after and this.
    planners::Milliseconds min_soak{0};
    bool force = false; // complete: override the soak guard (recorded in the event log)
    // complete: a Prisma migration directory to record as applied in `_prisma_migrations`
    // (in the transaction that marks the migration completed); "" = none.
    std::string prisma_migration;
    // complete: runs in the transaction that marks the migration completed, so what it writes
    // (deploy's history row) commits with that and only with that.
    std::function<void(Transaction&)> on_completed;
    // A fleet run's stop flag: when it turns true the command stops before its next step (a
    // backfill after its batches in flight, with the checkpoint saved) and throws Stopped.
    const std::atomic<bool>* stop = nullptr;
    // Called on the command's thread as each step starts and as a backfill moves on.
    std::function<void(const RunProgress&)> on_progress;
};

struct PhaseReport {
    int steps_run = 0;
    std::int64_t rows_backfilled = 0;
    bool finished = true; // false when a backfill stopped early (max_batches)
};

struct AdvanceReport {
    PhaseReport work;
    std::string from; // phase before, "" when the migration had not been started
    std::string to;   // phase after
};

// The line advance (and undo) prints: "NAME: FROM -> TO (N steps run, N rows backfilled)", or
// "NAME: PHASE, nothing to do for --to TARGET".
std::string advance_line(const std::string& name, const AdvanceReport& report,
                         AdvanceTarget target);

class MigrationRunner {
public:
    MigrationRunner(const planners::Plan& plan, const Dsn& dsn, RunOptions options);
    ~MigrationRunner();

    PhaseReport start();
    PhaseReport backfill();
    PhaseReport complete();
    PhaseReport rollback();
    // Runs whatever phases remain up to `target` (start, backfill, complete, each with its own
    // guards); a migration already there, or past it, is left alone.
    AdvanceReport advance(AdvanceTarget target);
    // The migration's phase in the state store, "" when it has not been started.
    std::string phase();

private:
    void lock_migration();
    MigrationRecord require_record(const char* command);
    void check_checksum(const MigrationRecord& record);
    PhaseReport run_phase(const MigrationRecord& record, planners::Phase phase);
    void run_step(int index, int total, const planners::Step& step, PhaseReport& report);
    void run_transactional(int index, const planners::Step& step, const std::string& label,
                           const std::vector<std::string>& statements, bool done_after);
    // How many rows break the constraint a step failed on, with examples ("" when unknown).
    std::string violation_details(const planners::Step& step, const DatabaseError& error);
    void drop_superseded_version_schemas();
    void purge_expired_tombstones();
    void align_other_version_schemas();
    // Before rollback undoes `steps`: other migrations' views stop showing the columns it drops.
    void release_other_version_schemas(const std::vector<int>& steps);
    std::string touched_tables_json() const; // the plan's tables, as a JSON array
    void run_concurrent_index(int index, const planners::Step& step, const std::string& label);
    void undo_step(int index, const planners::Step& step, const std::string& label);
    // Runs `body` in a transaction, attempt after attempt of the plan's lock schedule, each
    // under its own lock_timeout. A retryable failure (a lock timeout, a deadlock) is logged as
    // step.retry, with the sessions holding `table`'s locks, and retried after a jittered
    // pause; after the last attempt it ends the command with exit 4. Other errors are thrown.
    // `lock` is the strongest lock `body` takes: one no app query waits behind gets longer
    // attempts (runner_steps.cpp, weak_lock_attempt).
    void with_lock_retries(const std::string& label, const planners::QualifiedName& table,
                           const std::function<void(Transaction&)>& body,
                           planners::LockLevel lock = planners::LockLevel::access_exclusive);
    void pause(int attempt);
    void check_no_overlap(Transaction& tx, const std::vector<planners::Step>& steps);
    void check_soak(const MigrationRecord& record);
    void record_prisma_migration(Transaction& tx, const prisma::PrismaMigration& migration);
    // Throws Stopped when the fleet run's stop flag is up.
    void check_stop(const std::string& before);
    // The detail of a step.done/step.undone event: step, summary, the lock it took and how
    // long it has run (the status page shows them).
    nlohmann::json step_event(int index, const planners::Step& step,
                              planners::LockLevel lock) const;

    const planners::Plan& m_plan;
    Dsn m_dsn;
    RunOptions m_options;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<StateStore> m_store;
    std::vector<planners::Step> m_steps;
    std::chrono::steady_clock::time_point m_step_started; // of the step running now
};

struct VerifyResult {
    struct Table {
        std::string table;
        std::string summary; // the backfill step it checks
        std::int64_t rows_checked = 0;
        std::int64_t mismatches = 0;
        std::vector<std::string> samples; // keys, as JSON arrays
    };
    std::vector<Table> tables;
    std::int64_t mismatches() const;
};

struct VerifyOptions {
    // Sessions that read one table at once, each over its share of the pages.
    int sessions = 2;
    // Each table is first read in one statement, which PostgreSQL may run as a parallel
    // sequential scan, for at most this long; a table that takes longer is read in page
    // batches of about a quarter of a second (TID range scans, one process each). 0: batches
    // only.
    planners::Milliseconds whole_table_timeout{10'000};
};

// Checks, in read-only batches, that every row holds what the plan's backfill expressions
// give (the steps recorded at start). Takes no lock: it can run beside a backfill, whose
// unfilled rows then count as mismatches. On PostgreSQL 14+ each table is read in physical
// order (see VerifyOptions).
VerifyResult verify_migration(const planners::Plan& plan, const Dsn& dsn,
                              const std::string& state_schema, const VerifyOptions& options = {});

// pause, resume or tune (with `tuning`) the backfill of migration `name`: recorded in the
// state store, where the running engine reads it every second.
void control_backfill(const Dsn& dsn, const std::string& state_schema, const std::string& actor,
                      const std::string& name, const std::string& command, const Controls& tuning);
void control_backfill(StateStore& store, const std::string& name, const std::string& command,
                      const Controls& tuning);
// The controls of `tune` (unset = unchanged): the batch size is at least 10, the batch time a
// duration such as 200ms; anything else is CommandError(bad_input).
Controls tuning_from(std::optional<std::int64_t> max_rows_per_second,
                     std::optional<std::int64_t> max_batch_size,
                     const std::string& target_batch_time);

// A human-readable status of every migration in the state store (or one, if `name` is set).
std::string status_text(const Dsn& dsn, const std::string& state_schema, const std::string& name);
nlohmann::json status_json(const Dsn& dsn, const std::string& state_schema,
                           const std::string& name);
// The same through an open store (`pgphase serve` keeps one session); `now_ms` from its clock.
nlohmann::json status_json(StateStore& store, const std::string& name, std::int64_t now_ms);

} // namespace pgphase::orchestrator
