// Asio orchestration of the backfill. libpqxx blocks, so every database call runs on a small
// thread pool and is awaited; all engine state lives on the io_context thread. Sessions: one
// per worker (batches over its own range), the monitor (health probes, controls, status), and
// a control session that can cancel the workers' queries on the server (pg_cancel_backend).
#include "orchestrator/engine/backfill_engine.hpp"

#include "orchestrator/engine/backfill.hpp"
#include "orchestrator/engine/batch_sizer.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/throttle.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"

#include <algorithm>
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
#include <set>
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

// One worker: its own connection, its share of the pinned range, its own batch size.
struct Worker {
    Worker(int index_, const planners::BackfillSettings& settings)
        : index(index_)
        , sizer(settings.batch_size, settings.max_batch_size, settings.target_batch_time) {}

    int index;
    std::unique_ptr<Session> session;
    std::unique_ptr<StateStore> store;
    int pid = 0;
    Checkpoint checkpoint;           // read on the io_context thread
    Checkpoint in_flight_checkpoint; // handed to the pool with the batch in flight
    BatchSizer sizer;
    double rows_per_page = 0; // a page walk's density estimate
    bool in_flight = false;
    bool cancel_sent = false;
};

class Engine {
public:
    Engine(const Dsn& dsn, const EngineOptions& options, const planners::BackfillTask& task,
           const planners::Settings& settings)
        : m_dsn(dsn)
        , m_options(options)
        , m_task(task)
        , m_settings(settings)
        , m_limits(throttle_limits(settings.backfill))
        , m_max_rows_per_second(settings.backfill.max_rows_per_second)
        , m_signals(m_io, SIGINT, SIGTERM) {}

    BackfillResult run() {
        // Sessions first, on this thread: a connection failure is reported before anything runs.
        m_monitor = std::make_unique<Session>(m_dsn, application_name(m_options, "monitor"));
        m_control = std::make_unique<Session>(m_dsn, application_name(m_options, "control"));
        m_monitor_store =
            std::make_unique<StateStore>(*m_monitor, m_options.state_schema, m_options.actor);
        auto first = std::make_unique<Worker>(0, m_settings.backfill);
        first->pid = connect(*first);
        m_workers.push_back(std::move(first));
        // The split is pinned with the range: a resumed run keeps the stored ranges whatever
        // `workers` says now, so no range is walked twice or skipped.
        for (auto& checkpoint : load_or_pin()) {
            if (checkpoint.worker != 0) {
                auto worker = std::make_unique<Worker>(checkpoint.worker, m_settings.backfill);
                worker->pid = connect(*worker);
                m_workers.push_back(std::move(worker));
            }
            Worker& worker = *m_workers.back();
            worker.checkpoint = std::move(checkpoint);
            worker.rows_per_page = expected_rows_per_page(worker.checkpoint);
        }
        // A thread per worker, one for the monitor, one for the control session's cancels.
        m_pool = std::make_unique<asio::thread_pool>(m_workers.size() + 2);

        wait_for_signal();
        std::exception_ptr failure;
        asio::co_spawn(m_io, sweep(), [&](std::exception_ptr e) {
            failure = e;
            finish();
        });
        asio::co_spawn(m_io, monitor_loop(), [&](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
            }
        });
        m_io.run();
        m_pool->join();
        if (failure) {
            std::rethrow_exception(failure);
        }
        return m_result;
    }

private:
    // A new session for the worker; returns its backend pid, which the caller stores on the
    // io_context thread (the monitor reads it there).
    int connect(Worker& worker) {
        worker.session = std::make_unique<Session>(
            m_dsn, application_name(m_options, worker_role(worker.index).c_str()));
        worker.store =
            std::make_unique<StateStore>(*worker.session, m_options.state_schema, m_options.actor);
        return worker.session->backend_pid();
    }

    static std::string worker_role(int index) {
        return index == 0 ? "worker" : "worker " + std::to_string(index);
    }

    // The workers' checkpoints: stored ones to resume, else the range pinned now and split.
    std::vector<Checkpoint> load_or_pin() {
        Worker& first = *m_workers.front();
        m_key = resolve_key(*first.session, m_task);
        std::vector<Checkpoint> saved =
            first.store->checkpoints(m_options.migration, m_options.step);
        if (!saved.empty()) {
            const bool pages = saved.front().bounds && saved.front().bounds->contains("pages");
            if (pages != m_key.empty()) {
                throw CommandError(ExitCode::failed,
                                   "table " + m_task.table.display() +
                                       (m_key.empty() ? " lost" : " gained") +
                                       " its primary key since the backfill started",
                                   "its checkpoint walks " + std::string(pages ? "pages" : "keys") +
                                       "; roll the migration back and start it again");
            }
            std::int64_t rows = 0;
            for (const auto& checkpoint : saved) {
                rows += checkpoint.rows_done;
            }
            log::info("backfill.resumed", {{"migration", m_options.migration},
                                           {"table", m_task.table.display()},
                                           {"workers", std::to_string(saved.size())},
                                           {"after_key", key_text(saved)},
                                           {"rows_done", std::to_string(rows)}});
            return saved;
        }
        const Checkpoint pinned = pin_range(*first.session, m_task, m_key);
        std::vector<Checkpoint> parts =
            split_range(*first.session, m_task, m_key, pinned, m_settings.backfill.workers);
        first.session->transaction([&](Transaction& tx) {
            for (const auto& part : parts) {
                first.store->save_checkpoint(tx, m_options.migration, m_options.step, part);
            }
        });
        log::info("backfill.pinned",
                  {{"migration", m_options.migration},
                   {"table", m_task.table.display()},
                   {"walk", m_key.empty() ? "ctid pages" : "key"},
                   {"end_key", pinned.end_key ? pinned.end_key->dump() : "(empty table)"},
                   {"workers", std::to_string(parts.size())},
                   {"estimated_rows", std::to_string(pinned.total_estimate)}});
        return parts;
    }

    // Runs `f` on the database pool and resumes on the io_context with its result.
    template <typename F> asio::awaitable<std::invoke_result_t<F>> on_db(F f) {
        co_return co_await asio::co_spawn(
            *m_pool,
            [f = std::move(f)]() -> asio::awaitable<std::invoke_result_t<F>> { co_return f(); },
            asio::use_awaitable);
    }

    asio::awaitable<void> sleep(Milliseconds duration) {
        asio::steady_timer timer(m_io, duration);
        m_sleeping.insert(&timer);
        boost::system::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        m_sleeping.erase(&timer);
    }

    void wait_for_signal() {
        m_signals.async_wait([this](const boost::system::error_code& error, int signal) {
            if (error) {
                return;
            }
            ++m_signal_count;
            if (m_signal_count == 1) {
                log::warn("backfill.signal", {{"signal", std::to_string(signal)},
                                              {"action", "finishing the batches in flight, then "
                                                         "checkpoint and exit"}});
                m_stop = true;
                wake();
                // The batches have 1.5 s to finish on their own; then they are cancelled on the
                // server and roll back together with their checkpoints, so we exit within 2 s.
                m_grace =
                    std::make_unique<asio::steady_timer>(m_io, std::chrono::milliseconds(1500));
                m_grace->async_wait([this](const boost::system::error_code& e) {
                    if (!e) {
                        cancel_batches("the batch did not finish within 1.5 s of the signal");
                    }
                });
            } else {
                cancel_batches("second signal");
            }
            wait_for_signal();
        });
    }

    void cancel_batches(const std::string& why) {
        std::string pids;
        for (auto& worker : m_workers) {
            if (worker->in_flight && !worker->cancel_sent) {
                worker->cancel_sent = true;
                pids += (pids.empty() ? "" : ",") + std::to_string(worker->pid);
            }
        }
        if (pids.empty()) {
            return;
        }
        log::warn("backfill.cancel", {{"reason", why}, {"worker_pids", pids}});
        Session* control = m_control.get();
        asio::post(*m_pool, [control, array = "{" + pids + "}"] {
            try {
                control->query("SELECT pg_cancel_backend(p) FROM pg_catalog.unnest($1::int[]) p",
                               {array});
            } catch (const DatabaseError& e) {
                log::error("backfill.cancel_failed", {{"error", e.what()}});
            }
        });
    }

    void wake() {
        for (auto* timer : m_sleeping) {
            timer->cancel();
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

    std::string key_text(const std::vector<Checkpoint>& checkpoints) const {
        std::string out;
        for (const auto& checkpoint : checkpoints) {
            std::string one = "(start)";
            if (m_key.empty()) {
                const nlohmann::json& page =
                    checkpoint.last_key ? *checkpoint.last_key : *checkpoint.start_key;
                one = "ctid (" + page.at(0).get<std::string>() + ",0)";
            } else if (checkpoint.last_key) {
                one = checkpoint.last_key->dump();
            }
            if (checkpoints.size() > 1) {
                one = "worker " + std::to_string(checkpoint.worker) + " " + one;
            }
            out += (out.empty() ? "" : ", ") + one;
        }
        return out;
    }

    std::vector<Checkpoint> checkpoints() const {
        std::vector<Checkpoint> out;
        for (const auto& worker : m_workers) {
            out.push_back(worker->checkpoint);
        }
        return out;
    }

    std::int64_t rows_done() const {
        std::int64_t rows = 0;
        for (const auto& worker : m_workers) {
            rows += worker->checkpoint.rows_done;
        }
        return rows;
    }

    asio::awaitable<void> reconnect(Worker* worker) {
        for (int attempt = 1;; ++attempt) {
            if (m_stop || m_halt) {
                co_return;
            }
            try {
                worker->pid = co_await on_db([this, worker] { return connect(*worker); });
                log::info("backfill.reconnected", {{"worker", std::to_string(worker->index)},
                                                   {"attempt", std::to_string(attempt)}});
                co_return;
            } catch (const DatabaseError& e) {
                if (attempt >= 10) {
                    throw CommandError(
                        ExitCode::failed,
                        "backfill of " + m_task.table.display() +
                            " lost its connection and could not reconnect: " + e.what(),
                        "the checkpoint is at key " + key_text({worker->checkpoint}) +
                            "; rerun pgphase backfill when the database is reachable");
                }
                log::warn("backfill.reconnect_failed",
                          {{"attempt", std::to_string(attempt)}, {"error", e.what()}});
            }
            co_await sleep(Milliseconds(std::min(10'000, 250 << std::min(attempt, 6))));
        }
    }

    // Runs every worker to the end of its range, then records the step done once all are.
    asio::awaitable<void> sweep() {
        m_started = Clock::now();
        m_first_rows_done = rows_done(); // rates count this run's rows only
        for (auto& worker : m_workers) {
            ++m_running;
            asio::co_spawn(m_io, worker_loop(worker.get()), [this](std::exception_ptr e) {
                if (e && !m_failure) {
                    m_failure = e;
                    m_halt = true; // the others finish their batch in flight and stop
                }
                --m_running;
                wake();
            });
        }
        while (m_running > 0) {
            co_await sleep(Milliseconds(1000));
        }
        if (m_failure) {
            std::rethrow_exception(m_failure);
        }
        m_result.finished = std::all_of(m_workers.begin(), m_workers.end(),
                                        [](const auto& w) { return !w->checkpoint.end_key; });
        m_result.interrupted = m_stop && !m_result.finished;
        if (m_result.finished) {
            co_await on_db([this] {
                Worker& first = *m_workers.front();
                first.session->transaction([&](Transaction& tx) {
                    first.store->mark_step(tx, m_options.migration, m_options.step, true);
                });
            });
        }
        m_result.rows_visited = rows_done();
        m_result.last_key = key_text(checkpoints());
        report(true);
        m_final_status = current_status();
        m_final_status.state =
            m_result.finished ? "done" : (m_result.interrupted ? "interrupted" : "stopped");
        m_final_status.reason.clear();
        co_await on_db([this] {
            m_workers.front()->store->save_backfill_status(m_options.migration, m_options.step,
                                                           m_final_status);
        });
    }

    // Pages for a batch of `rows` rows at the worker's observed density.
    std::int64_t pages_for(const Worker& worker, std::int64_t rows) const {
        const double density = std::max(1.0, worker.rows_per_page > 0 ? worker.rows_per_page : 50);
        const auto pages = static_cast<std::int64_t>(static_cast<double>(rows) / density + 0.5);
        return std::clamp<std::int64_t>(pages, 1, worker.sizer.max_size());
    }

    asio::awaitable<void> worker_loop(Worker* worker) {
        int failures = 0;
        while (worker->checkpoint.end_key) {
            if (m_stop || m_halt) {
                break;
            }
            if (m_options.max_batches > 0 && m_batches_started >= m_options.max_batches) {
                break;
            }
            if (!m_reason.empty() || !m_monitor_ready) {
                co_await sleep(Milliseconds(200));
                continue;
            }
            const std::int64_t size = worker->sizer.size();
            // Rate cap, shared by the workers: a batch of n rows takes the next n / cap seconds.
            if (m_max_rows_per_second > 0) {
                const auto now = Clock::now();
                const auto start = std::max(now, m_next_slot);
                m_next_slot =
                    start +
                    std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                        static_cast<double>(size) / static_cast<double>(m_max_rows_per_second)));
                if (start > now) {
                    co_await sleep(std::chrono::duration_cast<Milliseconds>(start - now));
                    if (m_stop || m_halt || !m_reason.empty()) {
                        continue;
                    }
                }
            }
            const std::int64_t amount = m_key.empty() ? pages_for(*worker, size) : size;
            const auto batch_started = Clock::now();
            ++m_batches_started;
            worker->in_flight = true;
            worker->cancel_sent = false;
            worker->in_flight_checkpoint = worker->checkpoint;
            std::optional<BatchOutcome> outcome;
            std::optional<DatabaseError> failed;
            try {
                outcome = co_await on_db([this, worker, amount] {
                    return run_batch(*worker->session, *worker->store, m_options.migration,
                                     m_options.step, m_task, m_key, worker->in_flight_checkpoint,
                                     amount, m_settings);
                });
            } catch (const DatabaseError& e) {
                failed = e; // handled below: no co_await inside a handler
            }
            worker->in_flight = false;
            const auto elapsed =
                std::chrono::duration_cast<Milliseconds>(Clock::now() - batch_started);
            if (failed) {
                --m_batches_started;
                const DatabaseError& e = *failed;
                if (m_stop && e.sqlstate() == "57014") {
                    // Cancelled on our own request: rolled back with its checkpoint.
                    break;
                }
                if (e.connection_lost()) {
                    log::warn("backfill.connection_lost",
                              {{"worker", std::to_string(worker->index)},
                               {"error", e.what()},
                               {"after_key", key_text({worker->checkpoint})}});
                    co_await reconnect(worker);
                    continue;
                }
                ++failures;
                if (!e.retryable() || failures > std::max(3, m_settings.lock_retries)) {
                    throw CommandError(
                        e.lock_timeout() ? ExitCode::lock_gave_up : ExitCode::failed,
                        "backfill of " + m_task.table.display() + " failed for the " +
                            std::to_string(amount) + (m_key.empty() ? " pages" : " keys") +
                            " after " + key_text({worker->checkpoint}) + ": " + e.what() +
                            " (SQLSTATE " + e.sqlstate() + ")",
                        "the batch was rolled back with its checkpoint; nothing was skipped. "
                        "Fix the cause, then rerun pgphase backfill to resume");
                }
                // A timeout: give way, then retry the same range smaller.
                worker->sizer.shrink();
                log::warn("backfill.retry",
                          {{"table", m_task.table.display()},
                           {"worker", std::to_string(worker->index)},
                           {"attempt", std::to_string(failures)},
                           {"sqlstate", e.sqlstate()},
                           {"next_batch_size", std::to_string(worker->sizer.size())},
                           {"error", e.what()}});
                co_await sleep(Milliseconds(std::min(5'000, 100 << std::min(failures, 6))));
                continue;
            }
            failures = 0;
            worker->checkpoint = worker->in_flight_checkpoint;
            if (outcome->visited > 0 || outcome->pages > 0) {
                m_result.batches += 1;
                m_result.rows_updated += outcome->updated;
                m_active += elapsed / static_cast<std::int64_t>(m_workers.size());
                if (m_key.empty()) {
                    // Steer by time in row units: a page batch that covered every page it asked
                    // for counts as a full batch whatever the density; the density then sets
                    // how many pages the next one asks for.
                    const double seen =
                        static_cast<double>(outcome->visited) / static_cast<double>(outcome->pages);
                    worker->rows_per_page =
                        worker->rows_per_page > 0 ? 0.5 * worker->rows_per_page + 0.5 * seen : seen;
                    worker->sizer.record(outcome->pages >= amount ? size : outcome->visited,
                                         elapsed);
                } else {
                    worker->sizer.record(outcome->visited, elapsed);
                }
                report(false);
            } else {
                --m_batches_started;
            }
            if (outcome->range_done) {
                break;
            }
        }
    }

    BackfillStatus current_status() const {
        BackfillStatus status;
        const bool in_flight = std::any_of(m_workers.begin(), m_workers.end(),
                                           [](const auto& w) { return w->in_flight; });
        // Paused or throttled only once the batches in flight have committed: then no batch
        // runs until the reason is gone.
        status.state = m_reason.empty() || in_flight ? "running"
                       : m_paused                    ? "paused"
                                                     : "throttled";
        status.reason = m_reason;
        status.batch_size = batch_size();
        status.progress = progress(m_key, checkpoints());
        status.rows_per_second = m_rate;
        status.eta_seconds = m_eta;
        return status;
    }

    // The workers' batch sizes summed: the rows in flight per round.
    std::int64_t batch_size() const {
        std::int64_t size = 0;
        for (const auto& worker : m_workers) {
            size += worker->sizer.size();
        }
        return size;
    }

    // Progress: a bar on a terminal, an event line per interval otherwise.
    void report(bool final) {
        const auto now = Clock::now();
        const double wall = std::chrono::duration<double>(now - m_started).count();
        const double active = std::chrono::duration<double>(m_active).count();
        const double fraction = progress(m_key, checkpoints());
        const std::int64_t done = rows_done();
        if (wall > 0 && m_result.batches > 0) {
            m_rate = static_cast<double>(done - m_first_rows_done) / wall;
        }
        // ETA: unthrottled throughput times the share of time the engine got to run.
        if (active > 0 && fraction > 0 && fraction < 1) {
            const double duty = active / std::max(wall, active);
            const double unthrottled = static_cast<double>(done - m_first_rows_done) / active;
            const double total = static_cast<double>(done) / fraction;
            const double remaining = total - static_cast<double>(done);
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
                         fraction * 100.0, static_cast<long long>(done),
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
                 {"rows_done", std::to_string(done)},
                 {"rows_per_second", std::to_string(static_cast<std::int64_t>(m_rate))},
                 {"batch_size", std::to_string(batch_size())},
                 {"workers", std::to_string(m_workers.size())},
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
            const std::string& workers = m_probe_pids;
            sample.sessions_blocked =
                std::stoll(m_monitor
                               ->query("SELECT count(*) FROM pg_catalog.pg_stat_activity "
                                       "WHERE pg_catalog.pg_blocking_pids(pid) && $1::int[] "
                                       "AND pid <> ALL ($1::int[])",
                                       {workers})
                               .text(0, 0));
            const Rows oldest = m_monitor->query(
                "SELECT extract(epoch FROM max(now() - xact_start))::float8 "
                "FROM pg_catalog.pg_stat_activity WHERE xact_start IS NOT NULL "
                "AND backend_type = 'client backend' AND pid <> pg_catalog.pg_backend_pid() "
                "AND pid <> ALL ($1::int[])",
                {workers});
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
            std::string pids;
            for (const auto& worker : m_workers) {
                pids += (pids.empty() ? "" : ",") + std::to_string(worker->pid);
            }
            m_probe_pids = "{" + pids + "}";
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
        for (auto& worker : m_workers) {
            worker->sizer.set_limits(m_controls.max_batch_size.value_or(b.max_batch_size),
                                     m_controls.target_batch_time_ms
                                         ? Milliseconds(*m_controls.target_batch_time_ms)
                                         : b.target_batch_time);
        }
    }

    const Dsn& m_dsn;
    EngineOptions m_options;
    const planners::BackfillTask& m_task;
    planners::Settings m_settings;
    ThrottleLimits m_limits;
    std::int64_t m_max_rows_per_second;

    asio::io_context m_io;
    std::unique_ptr<asio::thread_pool> m_pool;
    asio::signal_set m_signals;
    std::unique_ptr<asio::steady_timer> m_grace;
    std::unique_ptr<asio::steady_timer> m_monitor_timer;
    std::set<asio::steady_timer*> m_sleeping;

    std::vector<std::unique_ptr<Worker>> m_workers;
    std::unique_ptr<Session> m_monitor;
    std::unique_ptr<Session> m_control;
    std::unique_ptr<StateStore> m_monitor_store;
    std::string m_probe_pids; // handed to the pool by the monitor loop

    std::vector<KeyColumn> m_key;
    std::int64_t m_first_rows_done = 0;
    Controls m_controls;
    BackfillStatus m_monitor_status; // handed to the pool by the monitor loop
    BackfillStatus m_final_status;   // handed to the pool by the sweep
    std::optional<std::pair<Clock::time_point, double>> m_last_wal;

    BackfillResult m_result;
    std::exception_ptr m_failure;
    std::string m_reason;
    bool m_paused = false;
    bool m_monitor_ready = false;
    bool m_stop = false; // a signal: checkpoint and exit 130
    bool m_halt = false; // a worker failed: the others stop after their batch in flight
    bool m_finished = false;
    int m_signal_count = 0;
    int m_running = 0;
    std::int64_t m_batches_started = 0;
    Clock::time_point m_next_slot = Clock::now();
    Clock::time_point m_started = Clock::now();
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
