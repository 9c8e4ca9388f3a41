// Asio orchestration of the backfill. libpqxx blocks, so every database call runs on a small
// thread pool and is awaited; all engine state lives on the io_context thread. Three sessions:
// the worker (batches), the monitor (health probes, controls, status), and a control session
// that can cancel the worker's query on the server (pg_cancel_backend).
#include "orchestrator/engine/backfill_engine.hpp"

#include "orchestrator/engine/backfill.hpp"
#include "orchestrator/engine/batch_sizer.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/throttle.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <unistd.h>

namespace pgphase::orchestrator {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using planners::Milliseconds;

std::string application_name(const EngineOptions& options, const char* role) {
    return "pgphase[" + std::to_string(::getpid()) + "] backfill " + options.migration + " " + role;
}

std::string format_eta(double seconds) {
    const auto total = static_cast<std::int64_t>(seconds);
    if (total >= 3600) {
        return std::to_string(total / 3600) + "h" + std::to_string(total % 3600 / 60) + "m";
    }
    if (total >= 60) {
        return std::to_string(total / 60) + "m" + std::to_string(total % 60) + "s";
    }
    return std::to_string(total) + "s";
}

class Engine {
public:
    Engine(const Dsn& dsn, const EngineOptions& options, const planners::BackfillTask& task,
           const planners::Settings& settings)
        : m_dsn(dsn)
        , m_options(options)
        , m_task(task)
        , m_settings(settings)
        , m_limits(throttle_limits(settings.backfill))
        , m_sizer(settings.backfill.batch_size, settings.backfill.max_batch_size,
                  settings.backfill.target_batch_time)
        , m_max_rows_per_second(settings.backfill.max_rows_per_second)
        , m_signals(m_io, SIGINT, SIGTERM) {}

    BackfillResult run() {
        // Sessions first, on this thread: a connection failure is reported before anything runs.
        m_worker = std::make_unique<Session>(m_dsn, application_name(m_options, "worker"));
        m_monitor = std::make_unique<Session>(m_dsn, application_name(m_options, "monitor"));
        m_control = std::make_unique<Session>(m_dsn, application_name(m_options, "control"));
        m_worker_store =
            std::make_unique<StateStore>(*m_worker, m_options.state_schema, m_options.actor);
        m_monitor_store =
            std::make_unique<StateStore>(*m_monitor, m_options.state_schema, m_options.actor);
        m_worker_pid = m_worker->backend_pid();

        wait_for_signal();
        std::exception_ptr failure;
        asio::co_spawn(m_io, batch_loop(), [&](std::exception_ptr e) {
            failure = e;
            finish();
        });
        asio::co_spawn(m_io, monitor_loop(), [&](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
            }
        });
        m_io.run();
        m_pool.join();
        if (failure) {
            std::rethrow_exception(failure);
        }
        return m_result;
    }

private:
    // Runs `f` on the database pool and resumes on the io_context with its result.
    template <typename F> asio::awaitable<std::invoke_result_t<F>> on_db(F f) {
        co_return co_await asio::co_spawn(
            m_pool,
            [f = std::move(f)]() -> asio::awaitable<std::invoke_result_t<F>> { co_return f(); },
            asio::use_awaitable);
    }

    asio::awaitable<void> sleep(Milliseconds duration) {
        asio::steady_timer timer(m_io, duration);
        m_sleeping = &timer;
        boost::system::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        m_sleeping = nullptr;
    }

    void wait_for_signal() {
        m_signals.async_wait([this](const boost::system::error_code& error, int signal) {
            if (error) {
                return;
            }
            ++m_signal_count;
            if (m_signal_count == 1) {
                log::warn("backfill.signal", {{"signal", std::to_string(signal)},
                                              {"action", "finishing the batch in flight, then "
                                                         "checkpoint and exit"}});
                m_stop = true;
                wake();
                // The batch has 1.5 s to finish on its own; then it is cancelled on the server
                // and rolls back together with its checkpoint, so we exit within 2 s.
                m_grace =
                    std::make_unique<asio::steady_timer>(m_io, std::chrono::milliseconds(1500));
                m_grace->async_wait([this](const boost::system::error_code& e) {
                    if (!e) {
                        cancel_batch("the batch did not finish within 1.5 s of the signal");
                    }
                });
            } else {
                cancel_batch("second signal");
            }
            wait_for_signal();
        });
    }

    void cancel_batch(const std::string& why) {
        if (!m_in_flight || m_cancel_sent) {
            return;
        }
        m_cancel_sent = true;
        log::warn("backfill.cancel",
                  {{"reason", why}, {"worker_pid", std::to_string(m_worker_pid)}});
        const int pid = m_worker_pid;
        Session* control = m_control.get();
        asio::post(m_pool, [control, pid] {
            try {
                control->query("SELECT pg_cancel_backend($1)", {std::to_string(pid)});
            } catch (const DatabaseError& e) {
                log::error("backfill.cancel_failed", {{"error", e.what()}});
            }
        });
    }

    void wake() {
        if (m_sleeping != nullptr) {
            m_sleeping->cancel();
        }
    }

    void finish() {
        m_finished = true;
        m_signals.cancel();
        if (m_grace) {
            m_grace->cancel();
        }
        if (m_monitor_timer) {
            m_monitor_timer->cancel();
        }
        wake();
    }

    std::string key_text() const {
        return m_checkpoint.last_key ? m_checkpoint.last_key->dump() : std::string("(start)");
    }

    asio::awaitable<void> reconnect_worker() {
        for (int attempt = 1;; ++attempt) {
            if (m_stop) {
                co_return;
            }
            try {
                co_await on_db([this] {
                    m_worker =
                        std::make_unique<Session>(m_dsn, application_name(m_options, "worker"));
                    m_worker_store = std::make_unique<StateStore>(*m_worker, m_options.state_schema,
                                                                  m_options.actor);
                    m_worker_pid = m_worker->backend_pid();
                });
                log::info("backfill.reconnected", {{"attempt", std::to_string(attempt)}});
                co_return;
            } catch (const DatabaseError& e) {
                if (attempt >= 10) {
                    throw CommandError(
                        ExitCode::failed,
                        "backfill of " + m_task.table.display() +
                            " lost its connection and could not reconnect: " + e.what(),
                        "the checkpoint is at key " + key_text() +
                            "; rerun pgphase backfill when the database is reachable");
                }
                log::warn("backfill.reconnect_failed",
                          {{"attempt", std::to_string(attempt)}, {"error", e.what()}});
            }
            co_await sleep(Milliseconds(std::min(10'000, 250 << std::min(attempt, 6))));
        }
    }

    asio::awaitable<void> batch_loop() {
        m_key = co_await on_db([this] { return resolve_key(*m_worker, m_task); });
        auto saved = co_await on_db(
            [this] { return m_worker_store->checkpoint(m_options.migration, m_options.step); });
        if (saved) {
            m_checkpoint = *saved;
            log::info("backfill.resumed", {{"migration", m_options.migration},
                                           {"table", m_task.table.display()},
                                           {"after_key", key_text()},
                                           {"rows_done", std::to_string(m_checkpoint.rows_done)}});
        } else {
            m_checkpoint = co_await on_db([this] {
                Checkpoint pinned = pin_range(*m_worker, m_task, m_key);
                m_worker->transaction([&](Transaction& tx) {
                    m_worker_store->save_checkpoint(tx, m_options.migration, m_options.step,
                                                    pinned);
                });
                return pinned;
            });
            log::info(
                "backfill.pinned",
                {{"migration", m_options.migration},
                 {"table", m_task.table.display()},
                 {"end_key", m_checkpoint.end_key ? m_checkpoint.end_key->dump() : "(empty table)"},
                 {"estimated_rows", std::to_string(m_checkpoint.total_estimate)}});
        }

        const auto started = Clock::now();
        m_first_rows_done = m_checkpoint.rows_done; // rates count this run's rows only
        int failures = 0;
        while (m_checkpoint.end_key) {
            if (m_stop) {
                m_result.interrupted = true;
                break;
            }
            if (m_options.max_batches > 0 && m_result.batches >= m_options.max_batches) {
                break;
            }
            if (!m_reason.empty() || !m_monitor_ready) {
                co_await sleep(Milliseconds(200));
                continue;
            }
            const std::int64_t size = m_sizer.size();
            const auto batch_started = Clock::now();
            m_in_flight = true;
            m_cancel_sent = false;
            std::optional<BatchOutcome> outcome;
            std::optional<DatabaseError> failed;
            try {
                outcome = co_await on_db([this, size] {
                    return run_batch(*m_worker, *m_worker_store, m_options.migration,
                                     m_options.step, m_task, m_key, m_checkpoint, size, m_settings);
                });
            } catch (const DatabaseError& e) {
                failed = e; // handled below: no co_await inside a handler
            }
            m_in_flight = false;
            const auto elapsed =
                std::chrono::duration_cast<Milliseconds>(Clock::now() - batch_started);
            if (failed) {
                {
                    const DatabaseError& e = *failed;
                    if (m_stop && e.sqlstate() == "57014") {
                        // Cancelled on our own request: rolled back with its checkpoint.
                        m_result.interrupted = true;
                        break;
                    }
                    if (e.connection_lost()) {
                        log::warn("backfill.connection_lost",
                                  {{"error", e.what()}, {"after_key", key_text()}});
                        co_await reconnect_worker();
                        continue;
                    }
                    ++failures;
                    if (!e.retryable() || failures > std::max(3, m_settings.lock_retries)) {
                        throw CommandError(
                            e.lock_timeout() ? ExitCode::lock_gave_up : ExitCode::failed,
                            "backfill of " + m_task.table.display() + " failed for the " +
                                std::to_string(size) + " keys after " + key_text() + ": " +
                                e.what() + " (SQLSTATE " + e.sqlstate() + ")",
                            "the batch was rolled back with its checkpoint; nothing was skipped. "
                            "Fix the cause, then rerun pgphase backfill to resume");
                    }
                    // A timeout: give way, then retry the same range smaller.
                    m_sizer.shrink();
                    log::warn("backfill.retry",
                              {{"table", m_task.table.display()},
                               {"attempt", std::to_string(failures)},
                               {"sqlstate", e.sqlstate()},
                               {"next_batch_size", std::to_string(m_sizer.size())},
                               {"error", e.what()}});
                    co_await sleep(Milliseconds(std::min(5'000, 100 << std::min(failures, 6))));
                    continue;
                }
            }
            failures = 0;
            if (outcome->range_done) {
                break;
            }
            m_result.batches += 1;
            m_result.rows_updated += outcome->updated;
            m_active += elapsed;
            m_sizer.record(outcome->visited, elapsed);
            report(started, false);
            // Rate cap: a batch of n rows may start no sooner than n / max_rows_per_second.
            if (m_max_rows_per_second > 0) {
                const auto floor = Milliseconds(outcome->visited * 1000 / m_max_rows_per_second);
                if (floor > elapsed) {
                    co_await sleep(floor - elapsed);
                }
            }
        }
        m_result.finished = !m_checkpoint.end_key;
        m_result.rows_visited = m_checkpoint.rows_done;
        m_result.last_key = key_text();
        report(started, true);
        m_final_status = current_status();
        m_final_status.state =
            m_result.finished ? "done" : (m_result.interrupted ? "interrupted" : "stopped");
        m_final_status.reason.clear();
        co_await on_db([this] {
            m_worker_store->save_backfill_status(m_options.migration, m_options.step,
                                                 m_final_status);
        });
    }

    BackfillStatus current_status() const {
        BackfillStatus status;
        // Paused or throttled only once the batch in flight has committed: then no batch runs
        // until the reason is gone.
        status.state = m_reason.empty() || m_in_flight ? "running"
                       : m_paused                      ? "paused"
                                                       : "throttled";
        status.reason = m_reason;
        status.batch_size = m_sizer.size();
        status.progress = progress(m_key, m_checkpoint);
        status.rows_per_second = m_rate;
        status.eta_seconds = m_eta;
        return status;
    }

    // Progress: a bar on a terminal, an event line per interval otherwise.
    void report(Clock::time_point started, bool final) {
        const auto now = Clock::now();
        const double wall = std::chrono::duration<double>(now - started).count();
        const double active = std::chrono::duration<double>(m_active).count();
        const double fraction = progress(m_key, m_checkpoint);
        if (wall > 0 && m_result.batches > 0) {
            m_rate = static_cast<double>(m_checkpoint.rows_done - m_first_rows_done) / wall;
        }
        // ETA: unthrottled throughput times the share of time the engine got to run.
        if (active > 0 && fraction > 0 && fraction < 1) {
            const double duty = active / std::max(wall, active);
            const double unthrottled =
                static_cast<double>(m_checkpoint.rows_done - m_first_rows_done) / active;
            const double total = static_cast<double>(m_checkpoint.rows_done) / fraction;
            const double remaining = total - static_cast<double>(m_checkpoint.rows_done);
            if (unthrottled > 0) {
                m_eta = remaining / (unthrottled * duty);
            }
        }
        if (m_options.progress_bar) {
            const int width = 30;
            const int filled = static_cast<int>(fraction * width);
            std::fprintf(stderr, "\r[%s%s] %5.1f%% %lld rows %lld rows/s ETA %s %s\033[K",
                         std::string(static_cast<std::size_t>(filled), '#').c_str(),
                         std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                         fraction * 100.0, static_cast<long long>(m_checkpoint.rows_done),
                         static_cast<long long>(m_rate), m_eta ? format_eta(*m_eta).c_str() : "-",
                         m_reason.empty() ? "running" : ("waiting: " + m_reason).c_str());
            if (final) {
                std::fputc('\n', stderr);
            }
            return;
        }
        if (final || now - m_last_report >= std::chrono::seconds(5)) {
            m_last_report = now;
            log::info(
                "backfill.progress",
                {{"migration", m_options.migration},
                 {"table", m_task.table.display()},
                 {"progress",
                  std::to_string(static_cast<int>(fraction * 1000) / 10.0).substr(0, 5) + "%"},
                 {"rows_done", std::to_string(m_checkpoint.rows_done)},
                 {"rows_per_second", std::to_string(static_cast<std::int64_t>(m_rate))},
                 {"batch_size", std::to_string(m_sizer.size())},
                 {"eta", m_eta ? format_eta(*m_eta) : "-"},
                 {"state", m_reason.empty() ? "running" : "waiting: " + m_reason}});
        }
    }

    HealthSample probe() {
        HealthSample sample;
        try {
            const Controls controls = m_monitor_store->controls(m_options.migration);
            sample.paused_by_user = controls.paused;
            sample.paused_by = controls.paused_by;
            m_controls = controls;
            const Rows lag = m_monitor->query(
                "SELECT max(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), "
                "replay_lsn))::bigint, max(extract(epoch FROM replay_lag))::float8 "
                "FROM pg_catalog.pg_stat_replication");
            if (lag.at(0, 0)) {
                sample.replica_lag_bytes = std::stoll(*lag.at(0, 0));
            }
            if (lag.at(0, 1)) {
                sample.replica_lag_seconds = std::stod(*lag.at(0, 1));
            }
            const std::string worker = std::to_string(m_worker_pid);
            sample.sessions_blocked =
                std::stoll(m_monitor
                               ->query("SELECT count(*) FROM pg_catalog.pg_stat_activity "
                                       "WHERE $1::int = ANY (pg_catalog.pg_blocking_pids(pid))",
                                       {worker})
                               .text(0, 0));
            const Rows oldest = m_monitor->query(
                "SELECT extract(epoch FROM max(now() - xact_start))::float8 "
                "FROM pg_catalog.pg_stat_activity WHERE xact_start IS NOT NULL "
                "AND backend_type = 'client backend' AND pid <> pg_catalog.pg_backend_pid() "
                "AND pid <> $1::int",
                {worker});
            if (oldest.at(0, 0)) {
                sample.oldest_transaction_seconds = std::stod(*oldest.at(0, 0));
            }
            sample.autovacuum_on_table =
                m_monitor
                    ->query("SELECT count(*) FROM pg_catalog.pg_stat_progress_vacuum v "
                            "JOIN pg_catalog.pg_stat_activity a ON a.pid = v.pid "
                            "WHERE v.relid = pg_catalog.to_regclass($1) "
                            "AND a.backend_type = 'autovacuum worker'",
                            {m_task.table.sql()})
                    .text(0, 0) != "0";
            const Rows wal = m_monitor->query(
                "SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), "
                "'0/0')::float8");
            const double position = std::stod(wal.text(0, 0));
            const auto now = Clock::now();
            if (m_last_wal) {
                const double seconds =
                    std::chrono::duration<double>(now - m_last_wal->first).count();
                if (seconds > 0) {
                    sample.wal_bytes_per_second = (position - m_last_wal->second) / seconds;
                }
            }
            m_last_wal = std::make_pair(now, position);
        } catch (const std::exception& e) {
            sample.probe_error = e.what();
        }
        if (!m_settings.backfill.health_query.empty()) {
            try {
                m_monitor->transaction([&](Transaction& tx) {
                    tx.execute("SET LOCAL statement_timeout = '5s'");
                    const Rows rows = tx.query(m_settings.backfill.health_query);
                    if (rows.empty() || rows.rows[0].size() != 1) {
                        sample.health_query_error = "it must return one row with one boolean";
                    } else {
                        sample.health_query_ok = rows.text(0, 0) == "t";
                    }
                });
            } catch (const DatabaseError& e) {
                sample.health_query_error = e.what();
            }
        }
        return sample;
    }

    asio::awaitable<void> monitor_loop() {
        m_monitor_timer = std::make_unique<asio::steady_timer>(m_io);
        std::string last_reason;
        std::string last_state;
        auto last_status = Clock::now() - std::chrono::hours(1);
        while (!m_finished) {
            const HealthSample sample = co_await on_db([this] { return probe(); });
            if (m_finished) {
                break;
            }
            m_reason = throttle_reason(sample, m_limits);
            m_paused = sample.paused_by_user;
            m_monitor_ready = true;
            apply_controls();
            if (m_reason != last_reason) {
                if (m_reason.empty()) {
                    log::info("backfill.running", {{"migration", m_options.migration},
                                                   {"after", "waiting: " + last_reason}});
                } else {
                    log::warn("backfill.waiting",
                              {{"migration", m_options.migration}, {"reason", m_reason}});
                }
                last_reason = m_reason;
                last_status = Clock::now() - std::chrono::hours(1);
            }
            const BackfillStatus now_status = current_status();
            if (now_status.state + now_status.reason != last_state ||
                Clock::now() - last_status >= std::chrono::seconds(2)) {
                last_status = Clock::now();
                last_state = now_status.state + now_status.reason;
                // Captures only `this`: GCC 12 miscompiles co_await on a temporary lambda that
                // captures non-trivial objects by value.
                m_monitor_status = current_status();
                co_await on_db([this] {
                    try {
                        m_monitor_store->save_backfill_status(m_options.migration, m_options.step,
                                                              m_monitor_status);
                    } catch (const DatabaseError& e) {
                        log::warn("backfill.status_not_saved", {{"error", e.what()}});
                    }
                });
            }
            m_monitor_timer->expires_after(std::chrono::seconds(1));
            boost::system::error_code ignored;
            co_await m_monitor_timer->async_wait(
                asio::redirect_error(asio::use_awaitable, ignored));
        }
    }

    void apply_controls() {
        const auto& b = m_settings.backfill;
        m_max_rows_per_second = m_controls.max_rows_per_second.value_or(b.max_rows_per_second);
        m_sizer.set_limits(m_controls.max_batch_size.value_or(b.max_batch_size),
                           m_controls.target_batch_time_ms
                               ? Milliseconds(*m_controls.target_batch_time_ms)
                               : b.target_batch_time);
    }

    const Dsn& m_dsn;
    EngineOptions m_options;
    const planners::BackfillTask& m_task;
    planners::Settings m_settings;
    ThrottleLimits m_limits;
    BatchSizer m_sizer;
    std::int64_t m_max_rows_per_second;

    asio::io_context m_io;
    asio::thread_pool m_pool{3};
    asio::signal_set m_signals;
    std::unique_ptr<asio::steady_timer> m_grace;
    std::unique_ptr<asio::steady_timer> m_monitor_timer;
    asio::steady_timer* m_sleeping = nullptr;

    std::unique_ptr<Session> m_worker;
    std::unique_ptr<Session> m_monitor;
    std::unique_ptr<Session> m_control;
    std::unique_ptr<StateStore> m_worker_store;
    std::unique_ptr<StateStore> m_monitor_store;
    int m_worker_pid = 0;

    std::vector<KeyColumn> m_key;
    Checkpoint m_checkpoint;
    std::int64_t m_first_rows_done = 0;
    Controls m_controls;
    BackfillStatus m_monitor_status; // handed to the pool by the monitor loop
    BackfillStatus m_final_status;   // handed to the pool by the batch loop
    std::optional<std::pair<Clock::time_point, double>> m_last_wal;

    BackfillResult m_result;
    std::string m_reason;
    bool m_paused = false;
    bool m_monitor_ready = false;
    bool m_stop = false;
    bool m_finished = false;
    bool m_in_flight = false;
    bool m_cancel_sent = false;
    int m_signal_count = 0;
    Milliseconds m_active{0};
    double m_rate = 0;
    std::optional<double> m_eta;
    Clock::time_point m_last_report = Clock::now();
};

} // namespace

BackfillResult run_backfill_engine(const Dsn& dsn, const EngineOptions& options,
                                   const planners::BackfillTask& task,
                                   const planners::Settings& settings) {
    Engine engine(dsn, options, task, settings);
    return engine.run();
}

} // namespace pgphase::orchestrator
