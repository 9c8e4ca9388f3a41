// Runs a step, idempotently: transactional DDL under the plan's lock schedule (short lock_timeouts,
// jittered pauses, the lock holders named), is marked done in its own transaction; a concurrent
// index is checked in pg_index (an INVALID leftover is rebuilt); a backfill resumes from its
// checkpoint. Knows step kinds, never operations.
#include "orchestrator/engine/lock_retry.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"

#include <algorithm>
#include <chrono>

namespace pgphase::orchestrator {

using planners::Phase;
using planners::Step;
using planners::StepKind;
using runner::contains;
using runner::lock_timeout_sql;

void MigrationRunner::pause(int attempt) {
    m_options.sleep(jittered_pause(attempt));
}

namespace {

// App queries take ACCESS SHARE, ROW SHARE or ROW EXCLUSIVE, none of which conflicts with a
// SHARE UPDATE EXCLUSIVE (or weaker) request, so no app query ever queues behind a step that
// takes no more than that (VALIDATE CONSTRAINT, the version schema's views): its attempts need
// not be short. They last at least this long, past PostgreSQL's deadlock_timeout (1 s by
// default), after which a waiting DDL cancels an autovacuum that holds the table. An attempt of
// 50 ms never would: a VALIDATE after a backfill of millions of rows (which sets autovacuum
// off) then sat out the schedule behind it (docs/performance.md, renames).
constexpr planners::Milliseconds weak_lock_attempt{5'000};

// `none` is a step's default, not a promise: such a step is treated as taking any lock.
bool weak(planners::LockLevel lock) {
    return lock != planners::LockLevel::none && lock <= planners::LockLevel::share_update_exclusive;
}

} // namespace

void MigrationRunner::with_lock_retries(const std::string& label,
                                        const planners::QualifiedName& table,
                                        const std::function<void(Transaction&)>& body,
                                        planners::LockLevel lock) {
    LockRetry retry{m_plan.name,     label, table, m_plan.settings.lock_schedule,
                    m_options.sleep, {},    {}};
    retry.cancel_autovacuum = m_plan.settings.cancel_autovacuum;
    // Counted in the event log: `pgphase serve` shows them (pgphase_lock_retries_total).
    retry.on_retry = [this](const nlohmann::json& detail) {
        m_store->event(m_plan.name, "step.lock_retry", detail);
    };
    if (weak(lock)) {
        for (auto& timeout : retry.schedule) {
            timeout = std::max(timeout, weak_lock_attempt);
        }
    }
    orchestrator::with_lock_retries(*m_session, retry, body);
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

nlohmann::json MigrationRunner::step_event(int index, const Step& step,
                                           planners::LockLevel lock) const {
    return {{"step", index + 1},
            {"summary", step.summary},
            {"lock", planners::lock_name(lock)},
            {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - m_step_started)
                                .count()}};
}

void MigrationRunner::run_transactional(int index, const Step& step, const std::string& label,
                                        const std::vector<std::string>& statements,
                                        bool done_after) {
    try {
        // An undo may take stronger locks than the step (dropping a view it created).
        with_lock_retries(
            label, step.table,
            [&](Transaction& tx) {
                for (const auto& statement : statements) {
                    log::debug("sql", {{"statement", statement}});
                    tx.execute(statement);
                }
                m_store->mark_step(tx, m_plan.name, index, done_after);
                m_store->event(
                    tx, m_plan.name, done_after ? "step.done" : "step.undone",
                    step_event(index, step,
                               done_after ? step.lock : planners::LockLevel::access_exclusive));
            },
            done_after ? step.lock : planners::LockLevel::access_exclusive);
    } catch (const DatabaseError& e) {
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
                m_store->event(tx, m_plan.name, "step.done", step_event(index, step, step.lock));
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
    m_step_started = std::chrono::steady_clock::now();
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
    if (m_options.on_progress) {
        m_options.on_progress(
            {planners::phase_name(step.phase), index + 1, total, step.summary, -1, 0});
    }
    const auto started = std::chrono::steady_clock::now();
    m_step_started = started;
    if (step.kind == StepKind::backfill) {
        EngineOptions options;
        options.migration = m_plan.name;
        options.step = index;
        options.state_schema = m_options.state_schema;
        options.actor = m_options.actor;
        options.max_batches = m_options.max_batches;
        options.progress_bar = m_options.progress_bar;
        options.stop = m_options.stop;
        if (m_options.on_progress) {
            options.on_progress = [&](double fraction, std::int64_t rows) {
                m_options.on_progress({planners::phase_name(step.phase), index + 1, total,
                                       step.summary, fraction, rows});
            };
        }
        const BackfillResult result =
            run_backfill_engine(m_dsn, options, *step.backfill, m_plan.settings);
        report.rows_backfilled += result.rows_updated;
        if (result.stopped) {
            throw Stopped(label +
                              " stopped because another target failed; checkpoint saved "
                              "after key " +
                              result.last_key + " (" + std::to_string(result.rows_visited) +
                              " rows done)",
                          "rerun the command to resume");
        }
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

void MigrationRunner::check_stop(const std::string& before) {
    if (m_options.stop != nullptr && m_options.stop->load()) {
        throw Stopped("stopped before " + before + " because another target failed",
                      "rerun the command to continue from here");
    }
}

PhaseReport MigrationRunner::run_phase(const MigrationRecord& record, Phase phase) {
    PhaseReport report;
    const int total = static_cast<int>(m_steps.size());
    for (int i = 0; i < total; ++i) {
        const Step& step = m_steps[static_cast<std::size_t>(i)];
        if (step.phase != phase || contains(record.done_steps, i)) {
            continue;
        }
        check_stop("step " + std::to_string(i + 1) + "/" + std::to_string(total));
        run_step(i, total, step, report);
        if (!report.finished) {
            break;
        }
    }
    return report;
}

} // namespace pgphase::orchestrator
