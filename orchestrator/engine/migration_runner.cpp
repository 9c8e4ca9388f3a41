// Phase engine. Each step is idempotent: transactional steps are recorded as done in the same
// transaction as their DDL; concurrent index builds are checked against pg_index (an INVALID
// leftover is dropped and rebuilt); backfills resume from their checkpoint.
#include "orchestrator/engine/migration_runner.hpp"

#include "orchestrator/engine/backfill.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/step_json.hpp"
#include "planners/plan/version_schema.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <unistd.h>

namespace pgphase::orchestrator {

namespace {

using planners::Phase;
using planners::quote_literal;
using planners::Step;
using planners::StepKind;

const char* next_command(MigrationPhase phase) {
    switch (phase) {
    case MigrationPhase::expanding:
        return "start";
    case MigrationPhase::expanded:
    case MigrationPhase::backfilling:
        return "backfill";
    case MigrationPhase::backfilled:
    case MigrationPhase::contracting:
        return "complete";
    case MigrationPhase::rolling_back:
        return "rollback";
    case MigrationPhase::rolled_back:
        return "start";
    case MigrationPhase::completed:
        return "";
    }
    return "";
}

std::string next_hint(MigrationPhase phase, const std::string& file) {
    const std::string command = next_command(phase);
    if (command.empty()) {
        return "the migration is complete; nothing is left to run";
    }
    return "next allowed command: pgphase " + command + " " + file;
}

std::string lock_timeout_sql(planners::Milliseconds timeout, bool local) {
    return std::string(local ? "SET LOCAL" : "SET") +
           " lock_timeout = " + quote_literal(std::to_string(timeout.count()) + "ms");
}

bool contains(const std::vector<int>& values, int value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

std::string application_name(const std::string& command, const std::string& migration) {
    return "pgphase[" + std::to_string(::getpid()) + "] " + command + " " + migration;
}

} // namespace

MigrationRunner::MigrationRunner(const planners::Plan& plan, const Dsn& dsn, RunOptions options)
    : m_plan(plan)
    , m_dsn(dsn)
    , m_options(std::move(options)) {
    if (!m_options.sleep) {
        m_options.sleep = [](planners::Milliseconds ms) { std::this_thread::sleep_for(ms); };
    }
    m_session = std::make_unique<Session>(dsn, application_name(m_options.command, plan.name));
    m_store = std::make_unique<StateStore>(*m_session, m_options.state_schema, m_options.actor);
    m_store->set_command(m_options.command);
    m_store->ensure();
    lock_migration();
}

MigrationRunner::~MigrationRunner() = default;

void MigrationRunner::lock_migration() {
    const std::string key = "pgphase migration " + m_options.state_schema + "." + m_plan.name;
    const Rows got =
        m_session->query("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {key});
    if (got.text(0, 0) == "t") {
        return;
    }
    const Rows holder = m_session->query(
        "SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local socket'), "
        "to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)",
        {key});
    std::string who = "another session";
    if (!holder.empty()) {
        who = "backend pid " + holder.text(0, 0) + " (\"" + holder.text(0, 1) + "\" from " +
              holder.text(0, 2) + ", connected since " + holder.text(0, 3) + ")";
    }
    throw CommandError(ExitCode::refused,
                       "migration \"" + m_plan.name + "\" is being run by " + who,
                       "wait for it to finish; if that process died, its lock goes when its "
                       "connection ends (pg_terminate_backend on that pid)");
}

MigrationRecord MigrationRunner::require_record(const char* command) {
    auto record = m_store->find(m_plan.name);
    if (!record) {
        throw CommandError(ExitCode::refused,
                           std::string(command) + ": migration \"" + m_plan.name +
                               "\" has not been started",
                           "run pgphase start " + m_plan.source_file + " first");
    }
    m_steps = planners::steps_from_json(record->steps);
    return *record;
}

void MigrationRunner::check_checksum(const MigrationRecord& record) {
    const std::string now = planners::checksum(m_plan);
    if (record.checksum != now) {
        throw CommandError(ExitCode::bad_input,
                           "plan " + m_plan.source_file + " differs from the one migration \"" +
                               m_plan.name + "\" was started with (checksum " + now + ", started " +
                               "with " + record.checksum + ")",
                           "run the plan as it was at start, or roll the migration back and "
                           "start it again; settings may change, changes may not");
    }
}

void MigrationRunner::pause(int attempt) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const std::int64_t base =
        std::min<std::int64_t>(10'000, std::int64_t{200} << std::min(attempt, 6));
    std::uniform_int_distribution<std::int64_t> jitter(base / 2, base + base / 2);
    m_options.sleep(planners::Milliseconds(jitter(random)));
}

std::string MigrationRunner::violation_details(const Step& step, const DatabaseError& error) {
    if (error.sqlstate().rfind("23", 0) != 0 || step.violation_count_sql.empty() ||
        error.connection_lost()) {
        return {};
    }
    // Best effort: the failure is what matters, these queries only describe it.
    try {
        std::string out = "\n  " + m_session->query(step.violation_count_sql).text(0, 0) +
                          " rows of " + step.table.display() + " violate it";
        if (!step.violation_examples_sql.empty()) {
            const Rows examples = m_session->query(step.violation_examples_sql);
            for (std::size_t i = 0; i < examples.rows.size(); ++i) {
                out += (i == 0 ? ", e.g.\n    " : "\n    ") + examples.text(i, 0);
            }
        }
        return out;
    } catch (const DatabaseError& e) {
        return "\n  (could not count the offending rows: " + std::string(e.what()) + ")";
    }
}

void MigrationRunner::run_transactional(int index, const Step& step, const std::string& label,
                                        const std::vector<std::string>& statements,
                                        bool done_after) {
    const int attempts = m_plan.settings.lock_retries + 1;
    for (int attempt = 1;; ++attempt) {
        try {
            m_session->transaction([&](Transaction& tx) {
                tx.execute(lock_timeout_sql(m_plan.settings.lock_timeout, true));
                for (const auto& statement : statements) {
                    log::debug("sql", {{"statement", statement}});
                    tx.execute(statement);
                }
                m_store->mark_step(tx, m_plan.name, index, done_after);
                m_store->event(tx, m_plan.name, done_after ? "step.done" : "step.undone",
                               {{"step", index + 1}, {"summary", step.summary}});
            });
            return;
        } catch (const DatabaseError& e) {
            if (e.retryable() && attempt < attempts) {
                log::warn("step.retry", {{"migration", m_plan.name},
                                         {"step", label},
                                         {"table", step.table.display()},
                                         {"attempt", std::to_string(attempt)},
                                         {"sqlstate", e.sqlstate()},
                                         {"error", e.what()}});
                pause(attempt);
                continue;
            }
            if (e.retryable()) {
                throw CommandError(
                    ExitCode::lock_gave_up,
                    label + " gave up after " + std::to_string(attempts) +
                        " attempts waiting for a lock on " + step.table.display() + ": " +
                        e.what() + " (SQLSTATE " + e.sqlstate() + ")",
                    "a long transaction or another DDL holds a conflicting lock (look in "
                    "pg_stat_activity and pg_locks); rerun the command later: finished steps "
                    "are kept and this one was rolled back");
            }
            const std::string violations = violation_details(step, e);
            throw CommandError(
                ExitCode::failed,
                label + " failed on " + step.table.display() + ": " + e.what() + " (SQLSTATE " +
                    e.sqlstate() + ")\n  statement: " + e.statement() + violations,
                e.connection_lost()
                    ? "the connection was lost; rerun the command to continue where it stopped"
                    : "the step's transaction was rolled back, so none of it was applied; fix "
                      "the cause and rerun the command");
        }
    }
}

void MigrationRunner::run_concurrent_index(int index, const Step& step, const std::string& label) {
    const planners::QualifiedName& target = step.concurrent_index->index;
    auto state = [&]() -> std::string {
        const Rows rows = m_session->query("SELECT x.indisvalid FROM pg_catalog.pg_index x "
                                           "WHERE x.indexrelid = pg_catalog.to_regclass($1)",
                                           {target.sql()});
        return rows.empty() ? "missing" : (rows.text(0, 0) == "t" ? "valid" : "invalid");
    };
    const int attempts = m_plan.settings.lock_retries + 1;
    for (int attempt = 1;; ++attempt) {
        try {
            // A concurrent build holds SHARE UPDATE EXCLUSIVE, which no read or write waits
            // for, and then waits for older transactions to end. A lock timeout would throw
            // the build away for nothing, so it runs without one.
            m_session->execute("SET lock_timeout = 0");
            std::string current = state();
            if (current == "invalid") {
                log::warn("index.invalid_leftover",
                          {{"migration", m_plan.name}, {"index", target.display()}});
                m_session->execute("DROP INDEX CONCURRENTLY IF EXISTS " + target.sql());
                current = "missing";
            }
            if (current == "missing") {
                for (const auto& statement : step.sql) {
                    log::debug("sql", {{"statement", statement}});
                    m_session->execute(statement);
                }
            }
            m_session->execute("RESET lock_timeout");
            if (state() != "valid") {
                throw CommandError(ExitCode::failed,
                                   label + ": index " + target.display() +
                                       " is not valid after its build",
                                   "rerun the command: the leftover is dropped and rebuilt");
            }
            m_session->transaction([&](Transaction& tx) {
                m_store->mark_step(tx, m_plan.name, index, true);
                m_store->event(tx, m_plan.name, "step.done",
                               {{"step", index + 1}, {"summary", step.summary}});
            });
            return;
        } catch (const DatabaseError& e) {
            if (e.retryable() && !e.connection_lost() && attempt < attempts) {
                log::warn("step.retry", {{"migration", m_plan.name},
                                         {"step", label},
                                         {"attempt", std::to_string(attempt)},
                                         {"sqlstate", e.sqlstate()},
                                         {"error", e.what()}});
                pause(attempt);
                continue;
            }
            std::string hint = "the failed build leaves an INVALID index; rerun the command and "
                               "it is dropped and rebuilt";
            if (e.sqlstate() == "23505") {
                hint = "the table holds duplicate values for the index's columns; remove them, "
                       "then rerun the command";
            }
            throw CommandError(e.retryable() ? ExitCode::lock_gave_up : ExitCode::failed,
                               label + " failed: " + e.what() + " (SQLSTATE " + e.sqlstate() + ")" +
                                   violation_details(step, e),
                               hint);
        }
    }
}

void MigrationRunner::undo_step(int index, const Step& step, const std::string& label) {
    if (step.undo.empty() || step.undo_transactional) {
        run_transactional(index, step, label, step.undo, false);
        return;
    }
    m_session->execute("SET lock_timeout = 0");
    for (const auto& statement : step.undo) {
        log::debug("sql", {{"statement", statement}});
        try {
            m_session->execute(statement);
        } catch (const DatabaseError& e) {
            throw CommandError(ExitCode::failed,
                               "undo of " + label + " failed: " + e.what() + " (SQLSTATE " +
                                   e.sqlstate() + ")",
                               "rerun pgphase rollback; undo steps are idempotent");
        }
    }
    m_session->execute("RESET lock_timeout");
    m_session->transaction([&](Transaction& tx) {
        m_store->mark_step(tx, m_plan.name, index, false);
        m_store->event(tx, m_plan.name, "step.undone",
                       {{"step", index + 1}, {"summary", step.summary}});
    });
}

void MigrationRunner::run_step(int index, int total, const Step& step, PhaseReport& report) {
    const std::string label = "step " + std::to_string(index + 1) + "/" + std::to_string(total) +
                              " \"" + step.summary + "\"";
    log::info("step.started", {{"migration", m_plan.name},
                               {"step", std::to_string(index + 1) + "/" + std::to_string(total)},
                               {"phase", planners::phase_name(step.phase)},
                               {"table", step.table.display()},
                               {"lock", planners::lock_name(step.lock)},
                               {"summary", step.summary}});
    const auto started = std::chrono::steady_clock::now();
    if (step.kind == StepKind::backfill) {
        EngineOptions options;
        options.migration = m_plan.name;
        options.step = index;
        options.state_schema = m_options.state_schema;
        options.actor = m_options.actor;
        options.max_batches = m_options.max_batches;
        options.progress_bar = m_options.progress_bar;
        const BackfillResult result =
            run_backfill_engine(m_dsn, options, *step.backfill, m_plan.settings);
        report.rows_backfilled += result.rows_updated;
        if (result.interrupted) {
            throw CommandError(ExitCode::interrupted,
                               label + " interrupted; checkpoint saved after key " +
                                   result.last_key + " (" + std::to_string(result.rows_visited) +
                                   " rows done)",
                               "rerun pgphase backfill " + m_plan.source_file + " to resume");
        }
        if (!result.finished) {
            report.finished = false;
            log::info("backfill.stopped",
                      {{"migration", m_plan.name},
                       {"table", step.table.display()},
                       {"rows_done", std::to_string(result.rows_visited)},
                       {"reason", "max batches reached; rerun pgphase backfill to continue"}});
            return;
        }
    } else if (step.concurrent_index) {
        run_concurrent_index(index, step, label);
    } else if (step.transactional) {
        run_transactional(index, step, label, step.sql, true);
    } else {
        m_session->execute(lock_timeout_sql(m_plan.settings.lock_timeout, false));
        for (const auto& statement : step.sql) {
            m_session->execute(statement);
        }
        m_session->execute("RESET lock_timeout");
        m_store->mark_step(m_plan.name, index, true);
    }
    report.steps_run += 1;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log::info("step.done", {{"migration", m_plan.name},
                            {"step", std::to_string(index + 1) + "/" + std::to_string(total)},
                            {"elapsed_ms", std::to_string(elapsed.count())}});
}

PhaseReport MigrationRunner::run_phase(const MigrationRecord& record, Phase phase) {
    PhaseReport report;
    const int total = static_cast<int>(m_steps.size());
    for (int i = 0; i < total; ++i) {
        const Step& step = m_steps[static_cast<std::size_t>(i)];
        if (step.phase != phase || contains(record.done_steps, i)) {
            continue;
        }
        run_step(i, total, step, report);
        if (!report.finished) {
            break;
        }
    }
    return report;
}

void MigrationRunner::check_no_overlap(Transaction& tx, const std::vector<Step>& steps) {
    // Starts are serialized by a lock held to the end of this transaction, which also records
    // the new migration: two starts on one table cannot both see the other as absent.
    m_store->lock_starts(tx);
    std::vector<InFlightMigration> in_flight;
    for (const auto& record : m_store->in_flight(tx)) {
        in_flight.push_back({record.name, planners::steps_from_json(record.steps)});
    }
    if (auto conflict = find_table_conflict(m_plan.name, steps, in_flight)) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" touches table " + conflict->table +
                               ", which migration \"" + conflict->other +
                               "\" (in flight) also touches",
                           "finish \"" + conflict->other + "\" first (pgphase complete or " +
                               "rollback; pgphase status " + conflict->other +
                               " says where it stands), then start this one");
    }
}

void MigrationRunner::check_soak(const MigrationRecord& record) {
    const planners::Milliseconds plan_soak = m_plan.settings.contract_after;
    const planners::Milliseconds required = std::max(plan_soak, m_options.min_soak);
    if (required.count() <= 0) {
        return;
    }
    const std::string source = m_options.min_soak > plan_soak
                                   ? "--min-soak " + format_duration(required)
                                   : "contract_after: " + format_duration(required);
    // Set whenever expand has finished (a v2 store's upgrade fills it from its event log).
    const std::int64_t expanded_at_ms = record.expanded_at_ms.value_or(0);
    const SoakDecision soak = decide_soak(expanded_at_ms, m_store->now_ms(), required);
    if (soak.allowed) {
        return;
    }
    const std::string expanded = format_utc(expanded_at_ms);
    const std::string allowed_at = format_utc(soak.allowed_at_ms);
    if (m_options.force) {
        log::warn("soak.forced", {{"migration", m_plan.name},
                                  {"required", source},
                                  {"allowed_at", allowed_at},
                                  {"remaining", format_remaining(soak.remaining)}});
        m_store->event(m_plan.name, "soak.forced",
                       {{"required", source},
                        {"required_ms", required.count()},
                        {"expand_finished_at", expanded},
                        {"allowed_at", allowed_at},
                        {"remaining_ms", soak.remaining.count()}});
        return;
    }
    throw CommandError(ExitCode::refused,
                       "complete of migration \"" + m_plan.name +
                           "\" refused by the soak guard: expand finished at " + expanded +
                           " and " + source + " must pass first; complete is allowed from " +
                           allowed_at + " (in " + format_remaining(soak.remaining) + ")",
                       "rerun pgphase complete " + m_plan.source_file + " after " + allowed_at +
                           ", or pass --force to override (recorded in the event log)");
}

PhaseReport MigrationRunner::start() {
    auto record = m_store->find(m_plan.name);
    if (!record || record->phase == MigrationPhase::rolled_back) {
        planners::Catalog catalog = read_catalog(*m_session, m_plan.schema);
        planners::PlanningOptions planning;
        planning.state_schema = m_options.state_schema;
        planning.version_schema = true;
        planners::PlannedMigration planned = planners::plan_migration(m_plan, &catalog, planning);
        for (const auto& diagnostic : planned.diagnostics.all()) {
            if (diagnostic.severity != planners::Severity::error) {
                log::warn("plan.diagnostic", {{"message", planners::format(diagnostic)}});
            }
        }
        if (planned.diagnostics.has_errors()) {
            std::string text = planned.diagnostics.to_string();
            if (!text.empty() && text.back() == '\n') {
                text.pop_back();
            }
            throw CommandError(ExitCode::bad_input, text);
        }
        m_session->transaction([&](Transaction& tx) {
            check_no_overlap(tx, planned.steps);
            m_store->create(tx, m_plan.name, m_plan.schema, planners::checksum(m_plan),
                            m_plan.source_text, planners::to_json(planned.steps));
            m_store->event(
                tx, m_plan.name, "migration.started",
                {{"checksum", planners::checksum(m_plan)}, {"steps", planned.steps.size()}});
        });
        record = m_store->find(m_plan.name);
    } else {
        check_checksum(*record);
        if (record->phase != MigrationPhase::expanding) {
            throw CommandError(ExitCode::refused,
                               "migration \"" + m_plan.name + "\" is already " +
                                   phase_name(record->phase) + "; start has nothing to do",
                               next_hint(record->phase, m_plan.source_file));
        }
        log::info("migration.resumed", {{"migration", m_plan.name}, {"phase", "expand"}});
    }
    m_steps = planners::steps_from_json(record->steps);
    PhaseReport report = run_phase(*record, Phase::expand);
    m_store->set_phase(m_plan.name, MigrationPhase::expanded);
    return report;
}

PhaseReport MigrationRunner::backfill() {
    MigrationRecord record = require_record("backfill");
    check_checksum(record);
    if (record.phase == MigrationPhase::backfilled) {
        // Rows can fall out of step after a sweep when writes bypass triggers (logical
        // replication apply, session_replication_role = replica): sweep those tables again.
        std::vector<int> again;
        for (int i = 0; i < static_cast<int>(m_steps.size()); ++i) {
            const Step& step = m_steps[static_cast<std::size_t>(i)];
            if (step.backfill && count_pending(*m_session, *step.backfill) > 0) {
                again.push_back(i);
            }
        }
        if (again.empty()) {
            log::info("backfill.already_done", {{"migration", m_plan.name}});
            return {};
        }
        m_session->transaction([&](Transaction& tx) {
            for (int i : again) {
                m_store->clear_checkpoint(tx, m_plan.name, i);
                m_store->mark_step(tx, m_plan.name, i, false);
            }
            m_store->set_phase(tx, m_plan.name, MigrationPhase::backfilling);
        });
        record = require_record("backfill");
    } else if (record.phase == MigrationPhase::expanded) {
        m_store->set_phase(m_plan.name, MigrationPhase::backfilling);
    } else if (record.phase != MigrationPhase::backfilling) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" is " + phase_name(record.phase) +
                               "; backfill runs after start and before complete",
                           next_hint(record.phase, m_plan.source_file));
    }
    PhaseReport report = run_phase(record, Phase::backfill);
    if (report.finished) {
        m_store->set_phase(m_plan.name, MigrationPhase::backfilled);
    }
    return report;
}

// Contract means every app instance runs this migration's version, so none still reads through
// the version schema an earlier, completed migration left in place; its views would also pin
// the columns this contract drops or changes.
void MigrationRunner::drop_superseded_version_schemas() {
    for (const auto& other : m_store->all()) {
        if (other.name == m_plan.name || other.schema != m_plan.schema ||
            other.phase != MigrationPhase::completed) {
            continue;
        }
        const std::string schema = planners::version_schema_name(other.schema, other.name);
        m_session->transaction([&](Transaction& tx) {
            tx.execute(lock_timeout_sql(m_plan.settings.lock_timeout, true));
            if (tx.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema})
                    .empty()) {
                return;
            }
            tx.execute("DROP SCHEMA " + planners::quote_ident(schema) + " CASCADE");
            m_store->event(tx, m_plan.name, "version_schema.dropped",
                           {{"schema", schema}, {"migration", other.name}});
            log::info("version_schema.dropped",
                      {{"migration", m_plan.name}, {"schema", schema}, {"of", other.name}});
        });
    }
}

// Another in-flight migration's version schema has views of this migration's tables too (every
// table gets a view), and they would pin the columns this contract drops. Contract means every
// app instance runs this migration's version, so those views take this migration's shape of the
// table: each is recreated from this migration's own view in one short transaction (or dropped,
// when this migration drops the table). The overlap guard keeps two in-flight migrations off
// the same table, so the other migration has no changes of its own on it to lose.
void MigrationRunner::align_other_version_schemas() {
    const std::string own = planners::version_schema_name(m_plan.schema, m_plan.name);
    const Rows views = m_session->query(
        "SELECT DISTINCT vn.nspname, v.relname, t.relname, "
        "       coalesce(array_to_string(v.reloptions, ', '), ''), "
        "       (SELECT pg_catalog.pg_get_viewdef(o.oid) FROM pg_catalog.pg_class o "
        "        JOIN pg_catalog.pg_rewrite orw ON orw.ev_class = o.oid "
        "        JOIN pg_catalog.pg_depend od ON od.objid = orw.oid "
        "         AND od.classid = 'pg_catalog.pg_rewrite'::regclass "
        "        JOIN pg_catalog.pg_namespace ons ON ons.oid = o.relnamespace "
        "        WHERE ons.nspname = $3 AND o.relkind = 'v' "
        "          AND od.refobjid = t.oid LIMIT 1) "
        "FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
        "JOIN pg_catalog.pg_class v ON v.oid = r.ev_class "
        "JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace "
        "JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass "
        "  AND d.refclassid = 'pg_catalog.pg_class'::regclass AND v.oid <> t.oid "
        "  AND tn.nspname = $1 AND t.relname IN (SELECT "
        "pg_catalog.jsonb_array_elements_text($2::jsonb)) AND vn.nspname <> $3 "
        "  AND pg_catalog.obj_description(vn.oid, 'pg_namespace') LIKE 'pgphase version schema %' "
        "ORDER BY 1, 2",
        {m_plan.schema, touched_tables_json(), own});
    for (std::size_t i = 0; i < views.rows.size(); ++i) {
        const planners::QualifiedName view{views.text(i, 0), views.text(i, 1)};
        const std::string options = views.text(i, 3);
        const std::optional<std::string> definition = views.at(i, 4);
        m_session->transaction([&](Transaction& tx) {
            tx.execute(lock_timeout_sql(m_plan.settings.lock_timeout, true));
            tx.execute("DROP VIEW IF EXISTS " + view.sql());
            if (definition) {
                tx.execute("CREATE VIEW " + view.sql() +
                           (options.empty() ? "" : " WITH (" + options + ")") + " AS " +
                           *definition);
            }
            m_store->event(tx, m_plan.name, "version_schema.aligned",
                           {{"view", view.display()}, {"table", views.text(i, 2)}});
        });
        log::info("version_schema.aligned", {{"migration", m_plan.name},
                                             {"view", view.display()},
                                             {"table", views.text(i, 2)},
                                             {"dropped", definition ? "false" : "true"}});
    }
}

std::string MigrationRunner::touched_tables_json() const {
    std::vector<std::string> names;
    for (const auto& step : m_steps) {
        if (step.table.schema == m_plan.schema && !step.table.name.empty()) {
            names.push_back(step.table.name);
        }
    }
    return nlohmann::json(names).dump();
}

// Records the Prisma migration as `prisma migrate resolve --applied` does, with an event, in
// the caller's transaction: the one that marks this migration completed.
void MigrationRunner::record_prisma_migration(Transaction& tx,
                                              const prisma::PrismaMigration& migration) {
    const std::string schema = prisma::history_schema(m_dsn.text());
    tx.execute(lock_timeout_sql(m_plan.settings.lock_timeout, true));
    const prisma::RecordResult result = prisma::record_applied(tx, schema, migration);
    const std::string event = result.inserted ? "prisma.recorded" : "prisma.already_recorded";
    m_store->event(tx, m_plan.name, event,
                   {{"prisma_migration", migration.name},
                    {"schema", schema},
                    {"checksum", result.checksum},
                    {"id", result.id},
                    {"rolled_back_attempts", result.rolled_back}});
    log::info(event, {{"migration", m_plan.name},
                      {"prisma_migration", migration.name},
                      {"table", planners::quote_ident(schema) + "._prisma_migrations"},
                      {"checksum", result.checksum}});
}

PhaseReport MigrationRunner::complete() {
    MigrationRecord record = require_record("complete");
    check_checksum(record);
    std::optional<prisma::PrismaMigration> prisma_migration;
    if (!m_options.prisma_migration.empty()) {
        prisma_migration = prisma::read_migration(m_options.prisma_migration);
    }
    // Prisma Migrate holds its advisory lock while `migrate deploy` runs: waiting longer than
    // lock_timeout for it ends the command, with contract (if any) already done.
    auto finish = [&](bool set_completed) {
        try {
            m_session->transaction([&](Transaction& tx) {
                if (prisma_migration) {
                    record_prisma_migration(tx, *prisma_migration);
                }
                if (set_completed) {
                    m_store->set_phase(tx, m_plan.name, MigrationPhase::completed);
                }
            });
        } catch (const DatabaseError& e) {
            if (!prisma_migration || !e.lock_timeout()) {
                throw;
            }
            throw CommandError(ExitCode::lock_gave_up,
                               "gave up waiting for Prisma Migrate's advisory lock to record \"" +
                                   prisma_migration->name + "\" as applied: " + e.what(),
                               "a prisma migrate command is running; rerun pgphase complete " +
                                   m_plan.source_file + " when it has finished");
        }
    };
    if (record.phase == MigrationPhase::completed) {
        log::info("complete.already_done", {{"migration", m_plan.name}});
        if (prisma_migration) {
            finish(false); // recorded now if an earlier complete ran without it
        }
        return {};
    }
    const bool has_backfill = std::any_of(m_steps.begin(), m_steps.end(),
                                          [](const Step& s) { return s.phase == Phase::backfill; });
    const bool allowed = record.phase == MigrationPhase::backfilled ||
                         record.phase == MigrationPhase::contracting ||
                         (record.phase == MigrationPhase::expanded && !has_backfill);
    if (!allowed) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" is " + phase_name(record.phase) +
                               "; complete needs a finished backfill",
                           next_hint(record.phase, m_plan.source_file));
    }
    if (record.phase != MigrationPhase::contracting) {
        check_soak(record);
        for (const auto& step : m_steps) {
            if (!step.backfill) {
                continue;
            }
            const std::int64_t pending = count_pending(*m_session, *step.backfill);
            if (pending > 0) {
                throw CommandError(
                    ExitCode::refused,
                    std::to_string(pending) + " rows of " + step.backfill->table.display() +
                        " are not yet backfilled (" + step.summary + ")",
                    "run pgphase backfill " + m_plan.source_file + ", then complete again");
            }
        }
    }
    if (prisma_migration) {
        // A migration.sql that differs from the one Prisma recorded stops complete before
        // contract drops anything, not after.
        const std::string schema = prisma::history_schema(m_dsn.text());
        m_session->transaction([&](Transaction& tx) {
            const prisma::HistoryCheck check = prisma::check_history(tx, schema, *prisma_migration);
            if (check.state == prisma::HistoryState::checksum_differs) {
                prisma::throw_checksum_conflict(schema, *prisma_migration, check);
            }
        });
    }
    if (record.phase != MigrationPhase::contracting) {
        m_store->set_phase(m_plan.name, MigrationPhase::contracting);
    }
    drop_superseded_version_schemas();
    align_other_version_schemas();
    PhaseReport report = run_phase(record, Phase::contract);
    finish(true);
    return report;
}

PhaseReport MigrationRunner::rollback() {
    MigrationRecord record = require_record("rollback");
    if (record.checksum != planners::checksum(m_plan)) {
        log::warn("rollback.plan_changed",
                  {{"migration", m_plan.name},
                   {"note", "the plan file changed since start; undoing the steps recorded then"}});
    }
    if (record.phase == MigrationPhase::rolled_back) {
        log::info("rollback.already_done", {{"migration", m_plan.name}});
        return {};
    }
    if (record.phase == MigrationPhase::contracting || record.phase == MigrationPhase::completed) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" is " + phase_name(record.phase) +
                               "; contract has run and cannot be rolled back",
                           record.phase == MigrationPhase::contracting
                               ? "finish it with pgphase complete " + m_plan.source_file
                               : "write a new migration to change the schema back");
    }
    m_store->set_phase(m_plan.name, MigrationPhase::rolling_back);
    PhaseReport report;
    const int total = static_cast<int>(m_steps.size());
    for (int i = total - 1; i >= 0; --i) {
        const Step& step = m_steps[static_cast<std::size_t>(i)];
        if (step.phase == Phase::contract) {
            continue;
        }
        // Steps outside a transaction may have left something behind even when not done.
        if (!contains(record.done_steps, i) && step.transactional) {
            continue;
        }
        const std::string label = "undo of step " + std::to_string(i + 1) + "/" +
                                  std::to_string(total) + " \"" + step.summary + "\"";
        log::info("step.undo", {{"migration", m_plan.name}, {"step", label}});
        undo_step(i, step, label);
        report.steps_run += 1;
    }
    m_session->transaction([&](Transaction& tx) {
        m_store->clear_checkpoints(tx, m_plan.name);
        m_store->set_phase(tx, m_plan.name, MigrationPhase::rolled_back);
    });
    return report;
}

AdvanceReport MigrationRunner::advance(AdvanceTarget target) {
    AdvanceReport out;
    if (!m_options.prisma_migration.empty()) {
        // A wrong directory is found at release N's expand, not weeks later at contract.
        prisma::read_migration(m_options.prisma_migration);
    }
    auto record = m_store->find(m_plan.name);
    if (record) {
        out.from = phase_name(record->phase);
        if (record->phase == MigrationPhase::rolled_back ||
            record->phase == MigrationPhase::rolling_back) {
            throw CommandError(
                ExitCode::refused,
                "migration \"" + m_plan.name + "\" is " + phase_name(record->phase) +
                    "; advance only goes forward",
                record->phase == MigrationPhase::rolling_back
                    ? "finish the rollback with pgphase rollback " + m_plan.source_file
                    : "start it again on purpose with pgphase start " + m_plan.source_file);
        }
        check_checksum(*record);
    }
    auto add = [&](const PhaseReport& report) {
        out.work.steps_run += report.steps_run;
        out.work.rows_backfilled += report.rows_backfilled;
        out.work.finished = report.finished;
    };
    auto phase_is = [&](std::initializer_list<MigrationPhase> phases) {
        return std::find(phases.begin(), phases.end(), record->phase) != phases.end();
    };
    if (!record || record->phase == MigrationPhase::expanding) {
        add(start());
        record = m_store->find(m_plan.name);
    }
    if (target != AdvanceTarget::expand &&
        phase_is({MigrationPhase::expanded, MigrationPhase::backfilling})) {
        const auto steps = planners::steps_from_json(record->steps);
        const bool has_backfill = std::any_of(
            steps.begin(), steps.end(), [](const Step& s) { return s.phase == Phase::backfill; });
        if (has_backfill || record->phase == MigrationPhase::backfilling) {
            add(backfill());
            record = m_store->find(m_plan.name);
        }
    }
    // A completed migration goes through complete again only to record its Prisma migration
    // (a no-op when it is recorded already).
    if (target == AdvanceTarget::complete && out.work.finished &&
        (phase_is(
             {MigrationPhase::expanded, MigrationPhase::backfilled, MigrationPhase::contracting}) ||
         (phase_is({MigrationPhase::completed}) && !m_options.prisma_migration.empty()))) {
        add(complete());
        record = m_store->find(m_plan.name);
    }
    out.to = phase_name(record->phase);
    return out;
}

namespace {

// The soak the plan asked for at start (settings may change later; --min-soak is not stored).
planners::Milliseconds stored_contract_after(const MigrationRecord& record) {
    const planners::LoadResult loaded = planners::load_plan_text(record.plan_text, "<stored>");
    return loaded.plan ? loaded.plan->settings.contract_after : planners::Milliseconds(0);
}

nlohmann::json or_null(const std::string& text) {
    return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

nlohmann::json describe(StateStore& store, const MigrationRecord& record, std::int64_t now_ms) {
    const auto steps = planners::steps_from_json(record.steps);
    nlohmann::json out = {{"name", record.name},
                          {"schema", record.schema},
                          {"phase", phase_name(record.phase)},
                          {"steps_total", steps.size()},
                          {"steps_done", record.done_steps.size()},
                          {"next", next_command(record.phase)},
                          {"created_at", record.created_at},
                          {"updated_at", record.updated_at},
                          {"tables", touched_tables(steps)}};
    // The schema a new app version reads through (absent for migrations planned without one).
    const std::string version_schema = planners::version_schema_name(record.schema, record.name);
    // Ready once its creating step is done (the end of backfill, or of expand without one).
    const auto creates = std::find_if(steps.begin(), steps.end(), [&](const Step& s) {
        return s.table.schema == version_schema && s.phase != Phase::contract;
    });
    const bool planned = record.phase != MigrationPhase::rolled_back && creates != steps.end();
    const int creates_index = static_cast<int>(creates - steps.begin());
    out["version_schema"] = planned ? nlohmann::json(version_schema) : nlohmann::json();
    out["version_schema_ready"] =
        planned && std::find(record.done_steps.begin(), record.done_steps.end(), creates_index) !=
                       record.done_steps.end();
    // Timestamps a pipeline decides on, all UTC: expand_finished_at and, from the plan's
    // contract_after, complete_allowed_at (null until expand has finished).
    const planners::Milliseconds contract_after = stored_contract_after(record);
    out["expand_finished_at"] = or_null(record.expanded_at);
    out["contract_after"] = format_duration(contract_after);
    out["complete_allowed_at"] = nlohmann::json();
    out["soak_remaining_seconds"] = nlohmann::json();
    if (record.expanded_at_ms) {
        const SoakDecision soak = decide_soak(*record.expanded_at_ms, now_ms, contract_after);
        out["complete_allowed_at"] = format_utc(soak.allowed_at_ms);
        out["soak_remaining_seconds"] = soak.remaining.count() / 1000;
    }
    out["completed_at"] =
        record.phase == MigrationPhase::completed ? nlohmann::json(record.updated_at) : nullptr;
    const auto events = store.events(record.name, false);
    out["last_event"] = nlohmann::json();
    if (!events.empty()) {
        const EventRecord& last = events.back();
        out["last_event"] = {{"event", last.event},
                             {"at", last.at},
                             {"actor", last.actor},
                             {"command", or_null(last.command)}};
    }
    nlohmann::json backfills = nlohmann::json::array();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].backfill) {
            continue;
        }
        nlohmann::json item = {{"step", i + 1},
                               {"table", steps[i].backfill->table.display()},
                               {"done", contains(record.done_steps, static_cast<int>(i))}};
        if (auto checkpoint = store.checkpoint(record.name, static_cast<int>(i))) {
            item["rows_done"] = checkpoint->rows_done;
            item["batches"] = checkpoint->batches;
            item["last_key"] = checkpoint->last_key ? *checkpoint->last_key : nlohmann::json();
            item["estimated_rows"] = checkpoint->total_estimate;
        }
        if (auto live = store.backfill_status(record.name, static_cast<int>(i))) {
            item["state"] = live->state;
            item["reason"] = live->reason;
            item["progress"] = live->progress;
            item["rows_per_second"] = live->rows_per_second;
            item["batch_size"] = live->batch_size;
            item["eta_seconds"] =
                live->eta_seconds ? nlohmann::json(*live->eta_seconds) : nlohmann::json();
            item["reported_at"] = live->updated_at;
        }
        backfills.push_back(item);
    }
    out["backfills"] = backfills;
    const Controls controls = store.controls(record.name);
    out["paused"] = controls.paused;
    if (controls.paused) {
        out["paused_by"] = controls.paused_by;
        const auto paused = std::find_if(events.rbegin(), events.rend(), [](const auto& event) {
            return event.event == "backfill.paused";
        });
        if (paused != events.rend()) {
            out["paused_at"] = paused->at;
        }
    }
    return out;
}

std::vector<MigrationRecord> records(StateStore& store, const std::string& name) {
    if (name.empty()) {
        return store.all();
    }
    auto one = store.find(name);
    if (!one) {
        throw CommandError(ExitCode::bad_input, "no migration named \"" + name + "\"",
                           "pgphase status lists every migration");
    }
    return {*one};
}

} // namespace

std::int64_t VerifyResult::mismatches() const {
    std::int64_t total = 0;
    for (const auto& table : tables) {
        total += table.mismatches;
    }
    return total;
}

VerifyResult verify_migration(const planners::Plan& plan, const Dsn& dsn,
                              const std::string& state_schema) {
    Session session(dsn, application_name("verify", plan.name));
    StateStore store(session, state_schema, "");
    store.ensure();
    const auto record = store.find(plan.name);
    if (!record) {
        throw CommandError(ExitCode::refused,
                           "verify: migration \"" + plan.name + "\" has not been started",
                           "run pgphase start " + plan.source_file + " first");
    }
    if (record->phase == MigrationPhase::completed ||
        record->phase == MigrationPhase::contracting ||
        record->phase == MigrationPhase::rolled_back) {
        throw CommandError(ExitCode::refused,
                           "verify: migration \"" + plan.name + "\" is " +
                               phase_name(record->phase) +
                               "; there is no old shape left to compare with",
                           "verify runs between start and complete");
    }
    constexpr std::int64_t batch_size = 10'000;
    constexpr std::size_t max_samples = 10;
    VerifyResult result;
    for (const auto& step : planners::steps_from_json(record->steps)) {
        if (!step.backfill) {
            continue;
        }
        VerifyResult::Table table{step.backfill->table.display(), step.summary, 0, 0, {}};
        const auto key = resolve_key(session, *step.backfill);
        std::optional<nlohmann::json> after;
        while (true) {
            const VerifyBatch batch = verify_batch(session, *step.backfill, key, after, batch_size,
                                                   max_samples - table.samples.size());
            if (batch.visited == 0) {
                break;
            }
            table.rows_checked += batch.visited;
            table.mismatches += batch.mismatches;
            table.samples.insert(table.samples.end(), batch.samples.begin(), batch.samples.end());
            after = batch.upper;
        }
        log::info("verify.checked", {{"migration", plan.name},
                                     {"table", table.table},
                                     {"rows", std::to_string(table.rows_checked)},
                                     {"mismatches", std::to_string(table.mismatches)}});
        result.tables.push_back(std::move(table));
    }
    return result;
}

void control_backfill(const Dsn& dsn, const std::string& state_schema, const std::string& actor,
                      const std::string& name, const std::string& command, const Controls& tuning) {
    Session session(dsn, application_name(command, name));
    StateStore store(session, state_schema, actor);
    store.set_command(command);
    store.ensure();
    if (!store.find(name)) {
        throw CommandError(ExitCode::bad_input, "no migration named \"" + name + "\"",
                           "pgphase status lists every migration");
    }
    if (command == "pause") {
        store.set_paused(name, true);
    } else if (command == "resume") {
        store.set_paused(name, false);
    } else {
        store.tune(name, tuning);
    }
}

nlohmann::json status_json(const Dsn& dsn, const std::string& state_schema,
                           const std::string& name) {
    Session session(dsn, application_name("status", name));
    StateStore store(session, state_schema, "");
    store.ensure();
    nlohmann::json out = nlohmann::json::array();
    const std::int64_t now_ms = store.now_ms();
    for (const auto& record : records(store, name)) {
        out.push_back(describe(store, record, now_ms));
    }
    return out;
}

std::string status_text(const Dsn& dsn, const std::string& state_schema, const std::string& name) {
    const nlohmann::json all = status_json(dsn, state_schema, name);
    if (all.empty()) {
        return "no migrations recorded in schema \"" + state_schema + "\"\n";
    }
    std::string out;
    for (const auto& m : all) {
        out += m["name"].get<std::string>() + ": " + m["phase"].get<std::string>() + " (" +
               std::to_string(m["steps_done"].get<int>()) + "/" +
               std::to_string(m["steps_total"].get<int>()) + " steps done, updated " +
               m["updated_at"].get<std::string>() + ")\n";
        if (!m["version_schema"].is_null()) {
            const std::string schema = m["version_schema"].get<std::string>();
            out += "  version schema: " + schema +
                   (m["version_schema_ready"].get<bool>()
                        ? " (new app version: SET search_path TO " + schema + ")\n"
                        : " (created when every row is in its new shape: after backfill)\n");
        }
        for (const auto& b : m["backfills"]) {
            out += "  backfill " + b["table"].get<std::string>() + ": ";
            if (b["done"].get<bool>()) {
                out += "done";
            } else if (b.contains("rows_done")) {
                out += "in progress";
            } else {
                out += "not started";
            }
            if (b.contains("rows_done")) {
                out += ", " + std::to_string(b["rows_done"].get<std::int64_t>()) + " rows in " +
                       std::to_string(b["batches"].get<std::int64_t>()) + " batches";
            }
            if (b.contains("state") && !b["done"].get<bool>()) {
                const auto percent = static_cast<int>(b["progress"].get<double>() * 1000) / 10.0;
                std::string line = std::to_string(percent);
                line.erase(line.find('.') + 2);
                out +=
                    "; " + line + "%, " +
                    std::to_string(static_cast<std::int64_t>(b["rows_per_second"].get<double>())) +
                    " rows/s, last " + b["state"].get<std::string>();
                if (!b["reason"].get<std::string>().empty()) {
                    out += " (" + b["reason"].get<std::string>() + ")";
                }
                out += " at " + b["reported_at"].get<std::string>();
            }
            out += "\n";
        }
        if (m["paused"].get<bool>()) {
            out += "  paused by " + m["paused_by"].get<std::string>() + " (pgphase resume " +
                   m["name"].get<std::string>() + ")\n";
        }
        if (!m["expand_finished_at"].is_null()) {
            out += "  expand finished " + m["expand_finished_at"].get<std::string>();
            if (m["contract_after"].get<std::string>() != "0s") {
                out += "; contract_after " + m["contract_after"].get<std::string>() +
                       ", complete allowed from " + m["complete_allowed_at"].get<std::string>();
            }
            out += "\n";
        }
        const std::string next = m["next"].get<std::string>();
        out += next.empty() ? "  nothing left to run\n" : "  next: pgphase " + next + "\n";
    }
    return out;
}

} // namespace pgphase::orchestrator
