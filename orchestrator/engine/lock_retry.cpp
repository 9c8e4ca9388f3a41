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

// The loop both forms share: `attempt` runs one attempt under the lock_timeout it is given.
void retry_attempts(Session& session, const LockRetry& retry,
                    const std::function<void(planners::Milliseconds)>& attempt_with) {
    const auto& schedule = retry.schedule;
    const int attempts = static_cast<int>(schedule.size());
    const std::string table = retry.table.name.empty() ? "its tables" : retry.table.display();
    for (int attempt = 1;; ++attempt) {
        const planners::Milliseconds timeout = schedule[static_cast<std::size_t>(attempt - 1)];
        try {
            attempt_with(timeout);
            return;
        } catch (const DatabaseError& e) {
            if (!e.retryable()) {
                throw;
            }
            const std::string holders = e.connection_lost() || retry.table.name.empty()
                                            ? std::string()
                                            : describe(lock_holders(session, retry.table));
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
                if (retry.on_retry) {
                    try {
                        retry.on_retry({{"step", retry.label},
                                        {"table", table},
                                        {"attempt", attempt},
                                        {"lock_timeout_ms", timeout.count()},
                                        {"sqlstate", e.sqlstate()},
                                        {"held_by", holders}});
                    } catch (const std::exception& failed) {
                        log::warn("step.retry_not_recorded", {{"error", failed.what()}});
                    }
                }
                retry.sleep(jittered_pause(attempt));
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
