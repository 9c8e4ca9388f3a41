// The backfill engine's internals, shared by backfill_engine.cpp (the workers' sweep,
// signals, reconnects) and backfill_monitor.cpp (health probes, controls, progress). Include
// it from nowhere else. All Engine state lives on the io_context thread; database calls run
// on the pool and are awaited (on_db).
#pragma once

#include "orchestrator/engine/backfill.hpp"
#include "orchestrator/engine/backfill_engine.hpp"
#include "orchestrator/engine/batch_sizer.hpp"
#include "orchestrator/engine/throttle.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace pgphase::orchestrator::backfill_internal {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using planners::Milliseconds;

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

// application_name of the engine's sessions: "pgphase[PID] backfill MIGRATION ROLE".
std::string engine_session_name(const EngineOptions& options, const char* role);

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
        , m_signals(m_io, SIGINT, SIGTERM)
        , m_log_context(log::context()) {}

    BackfillResult run();

private:
    // A new session for the worker; returns its backend pid, which the caller stores on the
    // io_context thread (the monitor reads it there).
    int connect(Worker& worker);
    static std::string worker_role(int index);

    // The workers' checkpoints: stored ones to resume, else the range pinned now and split.
    std::vector<Checkpoint> load_or_pin();

    // Runs `f` on the database pool and resumes on the io_context with its result.
    template <typename F> asio::awaitable<std::invoke_result_t<F>> on_db(F f) {
        // The pool thread logs with this engine's context (a fleet run's target).
        co_return co_await asio::co_spawn(
            *m_pool,
            [this, f = std::move(f)]() -> asio::awaitable<std::invoke_result_t<F>> {
                const log::Context scope(m_log_context);
                co_return f();
            },
            asio::use_awaitable);
    }

    // A timer that wake() cuts short (a signal, the end of the sweep).
    asio::awaitable<void> sleep(Milliseconds duration);

    // Signals: the first finishes the batches in flight (cancelled after 1.5 s), the second
    // cancels them at once.
    void wait_for_signal();
    void cancel_batches(const std::string& why);
    // A fleet run's stop flag (EngineOptions::stop): true once it is up, after which the
    // workers stop as after a first signal but let their batches finish.
    bool stop_requested();
    void wake();
    void finish();

    // Where the workers stand: for messages, for the state store, in total.
    std::string key_text(const std::vector<Checkpoint>& checkpoints) const;
    std::vector<Checkpoint> checkpoints() const;
    std::int64_t rows_done() const;

    // A lost worker connection, reopened with backoff (10 attempts).
    asio::awaitable<void> reconnect(Worker* worker);

    // Runs every worker to the end of its range, then records the step done once all are.
    asio::awaitable<void> sweep();

    // Pages for a batch of `rows` rows at the worker's observed density.
    std::int64_t pages_for(const Worker& worker, std::int64_t rows) const;

    // One worker's batches over its range: rate cap, throttle, pause, batch sizing.
    asio::awaitable<void> worker_loop(Worker* worker);

    // backfill_monitor.cpp: the status the state store shows, the rows in flight per round
    // (the workers' batch sizes summed), progress (a bar on a terminal, an event line per
    // interval otherwise), one health probe, the monitor's loop, and the controls applied to
    // the workers.
    BackfillStatus current_status() const;
    std::int64_t batch_size() const;
    void report(bool final);
    HealthSample probe();
    // A new monitor session after its connection was lost (a server restart): the probes and
    // the status reports go on with it. Still unreachable: the next probe tries again.
    void reconnect_monitor();
    asio::awaitable<void> monitor_loop();
    void apply_controls();

    const Dsn& m_dsn;
    EngineOptions m_options;
    const planners::BackfillTask& m_task;
    planners::Settings m_settings;
    ThrottleLimits m_limits;
    std::int64_t m_max_rows_per_second;

    asio::io_context m_io;
    std::unique_ptr<asio::thread_pool> m_pool;
    asio::signal_set m_signals;
    log::Fields m_log_context;
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
    std::string m_reason_kind; // Throttle::kind of m_reason
    bool m_paused = false;
    bool m_monitor_ready = false;
    bool m_stop = false;           // a signal: checkpoint and exit 130
    bool m_stop_requested = false; // EngineOptions::stop: checkpoint and return `stopped`
    bool m_halt = false;           // a worker failed: the others stop after their batch in flight
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
    BatchTimes m_batch_times;              // cumulative over the step's life, saved with its status
    double m_batch_seconds_unreported = 0; // batch time since the last saved status
    std::int64_t m_batches_unreported = 0;
    Clock::time_point m_last_prune = Clock::now();
    bool m_prune_due = false; // handed to the pool by the monitor loop
};

} // namespace pgphase::orchestrator::backfill_internal
