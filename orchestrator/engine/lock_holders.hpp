// Who holds the locks a DDL statement timed out waiting for: the sessions with a granted lock
// on the step's table, oldest transaction first, read from pg_locks and pg_stat_activity right
// after the attempt gave up. Said in the retry log and in the exit-4 error.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "planners/model/step.hpp"

#include <string>
#include <vector>

namespace pgphase::orchestrator {

struct LockHolder {
    std::string pid;
    std::string application_name;
    std::string mode;       // e.g. AccessShareLock
    std::string state;      // pg_stat_activity.state, e.g. "idle in transaction"
    double age_seconds = 0; // of its transaction (else its query; else its connection)
    std::string query;      // the first line of its current or last query, at most 120 chars
    // false where this role may not read the session's activity (neither a superuser nor a
    // member of pg_read_all_stats): then only pid and mode are known.
    bool visible = true;
    bool autovacuum = false; // an autovacuum worker
    bool wraparound = false; // an autovacuum "to prevent wraparound", which PostgreSQL never
                             // cancels for a lock waiter
};

// At most `limit` sessions other than this one; empty when the table does not exist (yet) or
// the query fails (best effort: the lock timeout is what matters, this only describes it).
std::vector<LockHolder> lock_holders(Session& session, const planners::QualifiedName& table,
                                     int limit = 8);

// `pid 4242 "report" (AccessShareLock, idle in transaction for 3.2 s): SELECT ...`, one per
// holder, joined by "; ", the first three and then how many more. "" when there is none.
std::string describe(const std::vector<LockHolder>& holders);

// True when what holds the table is an autovacuum that PostgreSQL itself would cancel for a DDL
// waiting past deadlock_timeout (not one to prevent wraparound), and besides it only sessions
// whose transaction is younger than a second: the app's own queries, passing through, which
// would not hold the next attempt up for long.
bool blocked_by_cancellable_autovacuum(const std::vector<LockHolder>& holders);

// Cancels (pg_cancel_backend) autovacuum worker `pid` if it still is one, not to prevent
// wraparound, and still holds a lock on `table`: true when it was signalled. Throws
// DatabaseError with SQLSTATE 42501 where this role may not signal autovacuum workers (before
// PostgreSQL 18 only a superuser may; from 18 members of pg_signal_autovacuum_worker too).
bool cancel_autovacuum(Session& session, const planners::QualifiedName& table,
                       const std::string& pid);

// The server's deadlock_timeout: how long a lock waiter waits before PostgreSQL cancels an
// autovacuum that blocks it. 1 s (the default) when it cannot be read.
planners::Milliseconds deadlock_timeout(Session& session);

// Who holds the session advisory lock taken with pg_try_advisory_lock(hashtextextended(key, 0)):
// `backend pid 4242 ("pgphase[17] deploy" from 10.0.0.5, connected since ...)`, or "another
// session" when it cannot be seen.
std::string advisory_lock_holder(Session& session, const std::string& key);

// The pg_locks condition (on alias `l`) for that lock granted to some session; `key_sql` is an
// SQL expression giving the key.
std::string advisory_lock_granted(const std::string& key_sql);

// The key of the lock a phase command holds on a migration for as long as it runs.
std::string migration_lock_key(const std::string& state_schema, const std::string& migration);

} // namespace pgphase::orchestrator
