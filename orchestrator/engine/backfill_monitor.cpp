// The backfill's monitor: one session that probes the server's health (replica lag, blocked
// sessions, long transactions, WAL rate, the health query), reads the pause/resume/tune controls
// from the state store, publishes the status and prints the progress, once a second.
#include "orchestrator/engine/backfill_engine_internal.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <cstdio>

namespace pgphase::orchestrator::backfill_internal {

namespace {

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
} // namespace

BackfillStatus Engine::current_status() const {
    BackfillStatus status;
    const bool in_flight =
        std::any_of(m_workers.begin(), m_workers.end(), [](const auto& w) { return w->in_flight; });
    // Paused or throttled only once the batches in flight have committed: then no batch
    // runs until the reason is gone.
    status.state = m_reason.empty() || in_flight ? "running" : m_paused ? "paused" : "throttled";
    status.reason = m_reason;
    status.reason_kind = status.state == "running" ? "" : m_reason_kind;
    status.batch_size = batch_size();
    status.rows_done = rows_done();
    status.batch_times = m_batch_times;
    status.progress = progress(m_key, checkpoints());
    status.rows_per_second = m_rate;
    status.eta_seconds = m_eta;
    return status;
}

std::int64_t Engine::batch_size() const {
    std::int64_t size = 0;
    for (const auto& worker : m_workers) {
        size += worker->sizer.size();
    }
    return size;
}

void Engine::report(bool final) {
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
    if (m_options.on_progress) {
        m_options.on_progress(fraction, done);
    }
    if (m_options.progress_bar) {
        const int width = 30;
        const int filled = static_cast<int>(fraction * width);
        std::fprintf(stderr, "\r[%s%s] %5.1f%% %lld rows %lld rows/s ETA %s %s\033[K",
                     std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                     fraction * 100.0, static_cast<long long>(done), static_cast<long long>(m_rate),
                     m_eta ? format_eta(*m_eta).c_str() : "-",
                     m_reason.empty() ? "running" : ("waiting: " + m_reason).c_str());
        if (final) {
            std::fputc('\n', stderr);
        }
        return;
    }
    if (final || now - m_last_report >= std::chrono::seconds(5)) {
        m_last_report = now;
        log::info("backfill.progress",
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

void Engine::reconnect_monitor() {
    try {
        auto session = std::make_unique<Session>(m_dsn, engine_session_name(m_options, "monitor"));
        auto store =
            std::make_unique<StateStore>(*session, m_options.state_schema, m_options.actor);
        m_monitor_store = std::move(store); // the old store goes first: it uses the old session
        m_monitor = std::move(session);
        log::info("backfill.monitor_reconnected", {});
    } catch (const DatabaseError& e) {
        log::warn("backfill.monitor_reconnect_failed", {{"error", e.what()}});
    }
}

HealthSample Engine::probe() {
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
        const Rows wal =
            m_monitor->query("SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), "
                             "'0/0')::float8");
        const double position = std::stod(wal.text(0, 0));
        const auto now = Clock::now();
        if (m_last_wal) {
            const double seconds = std::chrono::duration<double>(now - m_last_wal->first).count();
            if (seconds > 0) {
                sample.wal_bytes_per_second = (position - m_last_wal->second) / seconds;
            }
        }
        m_last_wal = std::make_pair(now, position);
    } catch (const DatabaseError& e) {
        sample.probe_error = e.what();
        if (e.connection_lost()) {
            reconnect_monitor();
        }
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

asio::awaitable<void> Engine::monitor_loop() {
    m_monitor_timer = std::make_unique<asio::steady_timer>(m_io);
    std::string last_reason;
    std::string last_state;
    auto last_status = Clock::now() - std::chrono::hours(1);
    while (!m_finished) {
        stop_requested(); // a paused or throttled sweep hears it here, once a second
        std::string pids;
        for (const auto& worker : m_workers) {
            pids += (pids.empty() ? "" : ",") + std::to_string(worker->pid);
        }
        m_probe_pids = "{" + pids + "}";
        const HealthSample sample = co_await on_db([this] { return probe(); });
        if (m_finished) {
            break;
        }
        const Throttle throttle = orchestrator::throttle(sample, m_limits);
        m_reason = throttle.reason;
        m_reason_kind = throttle.kind;
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
            m_monitor_status.batch_seconds =
                m_batches_unreported > 0
                    ? m_batch_seconds_unreported / static_cast<double>(m_batches_unreported)
                    : 0;
            m_batch_seconds_unreported = 0;
            m_batches_unreported = 0;
            // The samples of the last hour stay whole; older ones are thinned every 5 minutes.
            m_prune_due = Clock::now() - m_last_prune >= std::chrono::minutes(5);
            if (m_prune_due) {
                m_last_prune = Clock::now();
            }
            co_await on_db([this] {
                try {
                    m_monitor_store->save_backfill_status(m_options.migration, m_options.step,
                                                          m_monitor_status);
                    if (m_prune_due) {
                        m_monitor_store->prune_samples(m_options.migration, m_options.step);
                    }
                } catch (const DatabaseError& e) {
                    log::warn("backfill.status_not_saved", {{"error", e.what()}});
                }
            });
        }
        m_monitor_timer->expires_after(std::chrono::seconds(1));
        boost::system::error_code ignored;
        co_await m_monitor_timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
}

void Engine::apply_controls() {
    const auto& b = m_settings.backfill;
    m_max_rows_per_second = m_controls.max_rows_per_second.value_or(b.max_rows_per_second);
    for (auto& worker : m_workers) {
        worker->sizer.set_limits(m_controls.max_batch_size.value_or(b.max_batch_size),
                                 m_controls.target_batch_time_ms
                                     ? Milliseconds(*m_controls.target_batch_time_ms)
                                     : b.target_batch_time);
    }
}

} // namespace pgphase::orchestrator::backfill_internal
