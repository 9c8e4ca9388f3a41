// The lock-timeout retry loop shared by the phase runner, deploy, doctor and purge.
#include "orchestrator/engine/lock_retry.hpp"

#include "orchestrator/engine/lock_holders.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"

#include <random>

namespace pgphase::orchestrator {

planners::Milliseconds jittered_pause(int attempt) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const std::int64_t base = planners::lock_retry_pause(attempt).count();
    std::uniform_int_distribution<std::int64_t> jitter(base / 2, base + base / 2);
    return planners::Milliseconds(jitter(random));
}

namespace {

// How many attempts in a row an autovacuum must have blocked before pgphase acts on it:
// a short one ends on its own.
constexpr int autovacuum_patience = 2;
// An outwaiting attempt waits this much past deadlock_timeout: the cancelled autovacuum has to
// notice its signal and roll back before the lock is free.
constexpr planners::Milliseconds outwait_margin{500};

// What a lock attempt does about an autovacuum that holds the step's table
// (docs/plan-format.md#lock-waits): PostgreSQL cancels it for a DDL that has waited
// deadlock_timeout, which a 50 ms attempt never does, so an autovacuum of a big table (after a
// backfill, hours long) would outlast the whole schedule. pgphase cancels it itself where its
// role may, and else lets one attempt wait long enough for PostgreSQL to.
class AutovacuumBlock {
public:
    AutovacuumBlock(Session& session, const LockRetry& retry)
        : m_session(session)
        , m_retry(retry) {}

    // After a failed attempt: true when an autovacuum was cancelled, so the next attempt need
    // not pause. May set the next attempt's timeout (outwait).
    bool handle(const std::vector<LockHolder>& holders, nlohmann::json& detail) {
        if (!m_retry.cancel_autovacuum || !blocked_by_cancellable_autovacuum(holders)) {
            m_blocked = 0;
            return false;
        }
        if (++m_blocked < autovacuum_patience) {
            return false;
        }
        if (m_may_signal && cancel(holders)) {
            m_blocked = 0;
            detail["autovacuum"] = "cancelled";
            return true;
        }
        if (!m_outwaited) {
            m_outwaited = true;
            m_outwait = deadlock_timeout(m_session) + outwait_margin;
            detail["autovacuum"] = "outwait";
            log::warn("step.autovacuum_outwait",
                      {{"migration", m_retry.migration},
                       {"step", m_retry.label},
                       {"table", m_retry.table.display()},
                       {"lock_timeout_ms", std::to_string(m_outwait.count())},
                       {"why", "an autovacuum holds the table, and this role may not "
                               "cancel it: the next attempt waits past deadlock_timeout, "
                               "when PostgreSQL cancels it; the table's queries may queue "
                               "behind that attempt, once per step"}});
        }
        return false;
    }

    // The next attempt's lock_timeout: the schedule's, or the one outwait.
    planners::Milliseconds next_timeout(planners::Milliseconds scheduled) {
        const planners::Milliseconds timeout = std::max(scheduled, m_outwait);
        m_outwait = planners::Milliseconds{0};
        return timeout;
    }

private:
    bool cancel(const std::vector<LockHolder>& holders) {
        bool cancelled = false;
        for (const LockHolder& holder : holders) {
            if (!holder.autovacuum || holder.wraparound) {
                continue;
            }
            try {
                if (!cancel_autovacuum(m_session, m_retry.table, holder.pid)) {
                    continue;
                }
            } catch (const DatabaseError& e) {
                m_may_signal = false;
                log::info("step.autovacuum_not_cancelled", {{"migration", m_retry.migration},
                                                            {"table", m_retry.table.display()},
                                                            {"pid", holder.pid},
                                                            {"error", e.what()},
                                                            {"sqlstate", e.sqlstate()}});
                return false;
            }
            cancelled = true;
            log::warn("step.autovacuum_cancelled",
                      {{"migration", m_retry.migration},
                       {"step", m_retry.label},
                       {"table", m_retry.table.display()},
                       {"pid", holder.pid},
                       {"query", holder.query},
                       {"why", "it held the table for " + std::to_string(m_blocked) +
                                   " attempts; PostgreSQL cancels it too for a lock waiter "
                                   "after deadlock_timeout, and runs it again later"}});
        }
        return cancelled;
    }

    Session& m_session;
    const LockRetry& m_retry;
    int m_blocked = 0;                   // attempts in a row blocked by an autovacuum
    bool m_may_signal = true;            // until pg_cancel_backend is refused
    bool m_outwaited = false;            // at most one outwait per step
    planners::Milliseconds m_outwait{0}; // the next attempt's, when longer than scheduled
};

// The loop both forms share: `attempt` runs one attempt under the lock_timeout it is given.
void retry_attempts(Session& session, const LockRetry& retry,
                    const std::function<void(planners::Milliseconds)>& attempt_with) {
    const auto& schedule = retry.schedule;
    const int attempts = static_cast<int>(schedule.size());
    const std::string table = retry.table.name.empty() ? "its tables" : retry.table.display();
    AutovacuumBlock autovacuum(session, retry);
    for (int attempt = 1;; ++attempt) {
        const planners::Milliseconds timeout =
            autovacuum.next_timeout(schedule[static_cast<std::size_t>(attempt - 1)]);
        try {
            attempt_with(timeout);
            return;
        } catch (const DatabaseError& e) {
            if (!e.retryable()) {
                throw;
            }
            const std::vector<LockHolder> held = e.connection_lost() || retry.table.name.empty()
                                                     ? std::vector<LockHolder>()
                                                     : lock_holders(session, retry.table);
            const std::string holders = describe(held);
            if (attempt < attempts) {
                log::warn("step.retry",
                          {{"migration", retry.migration},
                           {"step", retry.label},
                           {"table", table},
                           {"attempt", std::to_string(attempt) + "/" + std::to_string(attempts)},
                           {"lock_timeout_ms", std::to_string(timeout.count())},
                           {"sqlstate", e.sqlstate()},
                           {"error", e.what()},
                           {"held_by", holders.empty() ? "-" : holders}});
                nlohmann::json detail{
                    {"step", retry.label},      {"table", table},
                    {"attempt", attempt},       {"lock_timeout_ms", timeout.count()},
                    {"sqlstate", e.sqlstate()}, {"held_by", holders}};
                const bool cancelled = autovacuum.handle(held, detail);
                if (retry.on_retry) {
                    try {
                        retry.on_retry(detail);
                    } catch (const std::exception& failed) {
                        log::warn("step.retry_not_recorded", {{"error", failed.what()}});
                    }
                }
                if (!cancelled) {
                    retry.sleep(jittered_pause(attempt));
                }
                continue;
            }
            throw CommandError(
                ExitCode::lock_gave_up,
                retry.label + " gave up after " + std::to_string(attempts) +
                    " attempts waiting for a lock on " + table + " (lock_timeout " +
                    planners::lock_schedule_text(schedule) + "): " + e.what() + " (SQLSTATE " +
                    e.sqlstate() + ")" + (holders.empty() ? "" : "\n  held by: " + holders),
                retry.gave_up_hint.empty()
                    ? "a long transaction or another DDL holds a conflicting lock (the sessions "
                      "above, or look in pg_stat_activity and pg_locks); rerun the command "
                      "later: finished steps are kept and this one was rolled back"
                    : retry.gave_up_hint);
        }
    }
}

} // namespace

void with_lock_retries(Session& session, const LockRetry& retry,
                       const std::function<void(Transaction&)>& body) {
    retry_attempts(session, retry, [&](planners::Milliseconds timeout) {
        session.transaction([&](Transaction& tx) {
            tx.execute(runner::lock_timeout_sql(timeout, true));
            body(tx);
        });
    });
}

void with_lock_retries_outside_transaction(Session& session, const LockRetry& retry,
                                           const std::function<void()>& body) {
    retry_attempts(session, retry, [&](planners::Milliseconds timeout) {
        session.execute(runner::lock_timeout_sql(timeout, false));
        try {
            body();
        } catch (const DatabaseError& e) {
            if (!e.connection_lost()) {
                session.execute("RESET lock_timeout");
            }
            throw;
        }
        session.execute("RESET lock_timeout");
    });
}

} // namespace pgphase::orchestrator
