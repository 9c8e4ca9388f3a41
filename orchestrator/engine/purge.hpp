// Purging tombstones: drops what contract kept (docs/undo.md) once its keep_dropped time is up,
// or sooner when asked. Each one is dropped under the default lock schedule (short
// lock_timeouts, retried) in one transaction that also marks it purged; indexes someone built
// on a kept column go first, CONCURRENTLY.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/model/plan.hpp"

#include <functional>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

struct PurgeOptions {
    bool all = false;      // also tombstones that have not expired yet
    std::string migration; // only this migration's; "" = every migration's
    std::function<void(planners::Milliseconds)> sleep; // between lock attempts
};

struct PurgeResult {
    std::vector<TombstoneRecord> purged;
    std::vector<std::string> failures; // "what: why", for the ones that failed
    bool lock_gave_up = false;         // one of them never got its lock (exit 4)
};

// The tombstones `options` selects, oldest first.
std::vector<TombstoneRecord> purgeable(StateStore& store, const PurgeOptions& options);

// What purging `tombstone` runs in its transaction ("" schema/table: nothing is left to drop).
std::vector<std::string> purge_statements(const TombstoneRecord& tombstone,
                                          const std::string& state_schema);

// What it runs before, each statement on its own: DROP INDEX CONCURRENTLY of every index built
// on a kept column since contract (contract dropped those it had). Read from the catalog.
std::vector<std::string> purge_index_statements(Session& session, const TombstoneRecord& tombstone);

// One line for humans: `column "public"."users"."_pgphase_dropped_…" (was email, kept by m at
// change 2, expired 2026-12-01T10:00:00Z, 1.2 MB)`.
std::string tombstone_text(const TombstoneRecord& tombstone);

// Purges each of `tombstones` and goes on past one that fails. `announce` is called before each.
PurgeResult purge(Session& session, StateStore& store,
                  const std::vector<TombstoneRecord>& tombstones, const PurgeOptions& options,
                  const std::function<void(const TombstoneRecord&)>& announce);

} // namespace pgphase::orchestrator
