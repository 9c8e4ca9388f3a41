// Asio orchestration of the backfill. libpqxx blocks, so every database call runs on a small
// thread pool and is awaited; all engine state lives on the io_context thread. Sessions: one
// per worker (batches over its own range), the monitor (health probes, controls, status), and
// a control session that can cancel the workers' queries on the server (pg_cancel_backend).
#include "orchestrator/engine/backfill_engine.hpp"

#include "orchestrator/engine/backfill_engine_internal.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <unistd.h>

namespace pgphase::orchestrator {

namespace backfill_internal {

std::string engine_session_name(const EngineOptions& options, const char* role) {
    return "pgphase[" + std::to_string(::getpid()) + "] backfill " + options.migration + " " + role;
}

BackfillResult Engine::run() {
    // Sessions first, on this thread: a connection failure is reported before anything runs.
    m_monitor = std::make_unique<Session>(m_dsn, engine_session_name(m_options, "monitor"));
    m_control = std::make_unique<Session>(m_dsn, engine_session_name(m_options, "control"));
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
        // Pages are numbers; keys need not be (Prisma's cuid ids are text).
        worker.rows_per_page = m_key.empty() ? expected_rows_per_page(worker.checkpoint) : 0;
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

int Engine::connect(Worker& worker) {
    worker.session = std::make_unique<Session>(
        m_dsn, engine_session_name(m_options, worker_role(worker.index).c_str()));
    worker.store =
        std::make_unique<StateStore>(*worker.session, m_options.state_schema, m_options.actor);
    return worker.session->backend_pid();
}

std::string Engine::worker_role(int index) {
    return index == 0 ? "worker" : "worker " + std::to_string(index);
}

std::vector<Checkpoint> Engine::load_or_pin() {
    Worker& first = *m_workers.front();
    m_key = resolve_key(*first.session, m_task);
    std::vector<Checkpoint> saved = first.store->checkpoints(m_options.migration, m_options.step);
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

asio::awaitable<void> Engine::sleep(Milliseconds duration) {
    asio::steady_timer timer(m_io, duration);
    m_sleeping.insert(&timer);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    m_sleeping.erase(&timer);
}

void Engine::wait_for_signal() {
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
            m_grace = std::make_unique<asio::steady_timer>(m_io, std::chrono::milliseconds(1500));
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

bool Engine::stop_requested() {
    if (!m_stop && m_options.stop != nullptr && m_options.stop->load()) {
        m_stop_requested = true;
        m_stop = true;
        log::warn("backfill.stopping",
                  {{"migration", m_options.migration},
                   {"reason", "another target of the fleet failed"},
                   {"action", "finishing the batches in flight, then checkpoint and stop"}});
        wake();
    }
    return m_stop;
}

void Engine::cancel_batches(const std::string& why) {
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
    asio::post(*m_pool, [control, array = "{" + pids + "}", context = m_log_context] {
        const log::Context scope(context);
        try {
            control->query("SELECT pg_cancel_backend(p) FROM pg_catalog.unnest($1::int[]) p",
                           {array});
        } catch (const DatabaseError& e) {
            log::error("backfill.cancel_failed", {{"error", e.what()}});
        }
    });
}

void Engine::wake() {
    for (auto* timer : m_sleeping) {
        timer->cancel();
    }
}

void Engine::finish() {
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

std::string Engine::key_text(const std::vector<Checkpoint>& checkpoints) const {
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

std::vector<Checkpoint> Engine::checkpoints() const {
    std::vector<Checkpoint> out;
    for (const auto& worker : m_workers) {
        out.push_back(worker->checkpoint);
    }
    return out;
}

std::int64_t Engine::rows_done() const {
    std::int64_t rows = 0;
    for (const auto& worker : m_workers) {
        rows += worker->checkpoint.rows_done;
    }
    return rows;
}

asio::awaitable<void> Engine::reconnect(Worker* worker) {
    for (int attempt = 1;; ++attempt) {
        if (m_stop || m_halt) {
            co_return;
        }
        try {
            worker->pid = co_await on_db([this, worker] {
                const int pid = connect(*worker);
                // The database's checkpoint, not the one in memory: batches commit without
                // waiting for their WAL to be flushed (synchronous_commit off), so a server that
                // crashed may have lost the last ones, checkpoints and rows together. The worker
                // goes on from what the database kept, and writes those batches again.
                for (const Checkpoint& saved :
                     worker->store->checkpoints(m_options.migration, m_options.step)) {
                    if (saved.worker == worker->index) {
                        worker->checkpoint = saved;
                    }
                }
                return pid;
            });
            log::info("backfill.reconnected", {{"worker", std::to_string(worker->index)},
                                               {"attempt", std::to_string(attempt)},
                                               {"after_key", key_text({worker->checkpoint})}});
            co_return;
        } catch (const DatabaseError& e) {
            if (attempt >= 10) {
                throw CommandError(ExitCode::failed,
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

asio::awaitable<void> Engine::sweep() {
    co_await on_db([this] {
        // Batch times add up over every run of the step (a histogram's counts only grow).
        if (auto prior =
                m_workers.front()->store->backfill_status(m_options.migration, m_options.step)) {
            m_batch_times = prior->batch_times;
        }
    });
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
    m_result.stopped = m_stop_requested && !m_result.finished;
    m_result.interrupted = m_stop && !m_stop_requested && !m_result.finished;
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

std::int64_t Engine::pages_for(const Worker& worker, std::int64_t rows) const {
    const double density = std::max(1.0, worker.rows_per_page > 0 ? worker.rows_per_page : 50);
    const auto pages = static_cast<std::int64_t>(static_cast<double>(rows) / density + 0.5);
    return std::clamp<std::int64_t>(pages, 1, worker.sizer.max_size());
}

asio::awaitable<void> Engine::worker_loop(Worker* worker) {
    int failures = 0;
    while (worker->checkpoint.end_key) {
        if (stop_requested() || m_halt) {
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
        const auto elapsed = std::chrono::duration_cast<Milliseconds>(Clock::now() - batch_started);
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
                        std::to_string(amount) + (m_key.empty() ? " pages" : " keys") + " after " +
                        key_text({worker->checkpoint}) + ": " + e.what() + " (SQLSTATE " +
                        e.sqlstate() + ")",
                    "the batch was rolled back with its checkpoint; nothing was skipped. "
                    "Fix the cause, then rerun pgphase backfill to resume");
            }
            // A timeout: give way, then retry the same range smaller.
            worker->sizer.shrink();
            log::warn("backfill.retry", {{"table", m_task.table.display()},
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
            const double seconds = std::chrono::duration<double>(elapsed).count();
            m_batch_times.record(seconds);
            m_batch_seconds_unreported += seconds;
            ++m_batches_unreported;
            m_active += elapsed / static_cast<std::int64_t>(m_workers.size());
            if (m_key.empty()) {
                // Steer by time in row units: a page batch that covered every page it asked
                // for counts as a full batch whatever the density; the density then sets
                // how many pages the next one asks for.
                const double seen =
                    static_cast<double>(outcome->visited) / static_cast<double>(outcome->pages);
                worker->rows_per_page =
                    worker->rows_per_page > 0 ? 0.5 * worker->rows_per_page + 0.5 * seen : seen;
                worker->sizer.record(outcome->pages >= amount ? size : outcome->visited, elapsed);
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

} // namespace backfill_internal

BackfillResult run_backfill_engine(const Dsn& dsn, const EngineOptions& options,
                                   const planners::BackfillTask& task,
                                   const planners::Settings& settings) {
    backfill_internal::Engine engine(dsn, options, task, settings);
    return engine.run();
}

} // namespace pgphase::orchestrator
