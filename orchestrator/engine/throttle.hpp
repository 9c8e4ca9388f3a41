// Throttle decisions from independent health signals, any one of which pauses the backfill.
// A probe that failed pauses it too (fail closed: never reuse a last good value). Pure.
#pragma once

#include "planners/model/plan.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace pgphase::orchestrator {

struct HealthSample {
    std::string probe_error;                          // non-empty: a probe failed
    bool paused_by_user = false;                      // pgphase pause
    std::string paused_by;                            // who paused it
    std::optional<std::int64_t> replica_lag_bytes;    // worst replica; none = no replica
    std::optional<double> replica_lag_seconds;        // replay_lag reads NULL when idle
    std::int64_t sessions_blocked = 0;                // sessions waiting on a backfill session
    std::optional<double> oldest_transaction_seconds; // other sessions only
    bool autovacuum_on_table = false;
    std::optional<double> wal_bytes_per_second; // none on the first sample
    std::optional<bool> health_query_ok;        // none = no health query
    std::string health_query_error;
};

struct ThrottleLimits {
    planners::Milliseconds max_replication_lag{10'000};
    std::int64_t max_replication_lag_bytes = 0;    // 0 = not checked
    planners::Milliseconds max_transaction_age{0}; // 0 = not checked
    bool pause_during_autovacuum = false;
    std::int64_t max_wal_bytes_per_second = 0; // 0 = not checked
};

ThrottleLimits throttle_limits(const planners::BackfillSettings& settings);

// Why the backfill must wait now: `reason` for people ("" when it may run the next batch) and
// `kind`, a stable word for metrics and charts: pause, health_probe, replica_lag,
// blocked_sessions, long_transaction, autovacuum, wal_rate, health_query ("" when it may run).
struct Throttle {
    std::string kind;
    std::string reason;
};
Throttle throttle(const HealthSample& sample, const ThrottleLimits& limits);
std::string throttle_reason(const HealthSample& sample, const ThrottleLimits& limits);

} // namespace pgphase::orchestrator
