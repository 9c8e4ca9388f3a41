// Runs a transaction attempt after attempt of a lock schedule, each under its own
// lock_timeout: a lock timeout or deadlock is logged (with the sessions holding the table's
// locks) and retried after a jittered pause; after the last attempt it ends the command with
// exit 4. An autovacuum that holds the table is cancelled (see cancel_autovacuum). Other
// errors are thrown. Used by the phase runner's steps, deploy's direct apply of a migration file,
// doctor's repairs and purge.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

struct LockRetry {
    std::string migration;                        // for the log lines
    std::string label;                            // what runs, e.g. `step 3/7 "..."`
    planners::QualifiedName table;                // whose lock holders to name; empty name: none
    std::vector<planners::Milliseconds> schedule; // one lock_timeout per attempt
    std::function<void(planners::Milliseconds)> sleep;
    std::string gave_up_hint; // the exit-4 hint; a generic one when empty
    // Called before each retry (not after the last attempt), e.g. to count it in the state
    // store; a throw from it is logged and ignored.
    std::function<void(const nlohmann::json& detail)> on_retry;
    // When an autovacuum holds the table attempt after attempt (beside it, at most the app's
    // passing queries): cancel it where this role may, else wait past deadlock_timeout once so
    // that PostgreSQL does (the plan setting cancel_autovacuum). false: follow the schedule and
    // wait for it to end.
    bool cancel_autovacuum = true;
};

void with_lock_retries(Session& session, const LockRetry& retry,
                       const std::function<void(Transaction&)>& body);

// The same for statements that cannot run in a transaction (DROP INDEX CONCURRENTLY): each
// attempt sets the session's lock_timeout, which is reset afterwards.
void with_lock_retries_outside_transaction(Session& session, const LockRetry& retry,
                                           const std::function<void()>& body);

// The pause before attempt `attempt + 1`: lock_retry_pause, jittered ±50%.
planners::Milliseconds jittered_pause(int attempt);

} // namespace pgphase::orchestrator
