// Throttle reasons, in a fixed order so the first one named is the most fundamental. Pure.
#include "orchestrator/engine/throttle.hpp"

#include <cmath>

namespace pgphase::orchestrator {

namespace {
std::string seconds(double value) {
    const double rounded = std::round(value * 10.0) / 10.0;
    std::string text = std::to_string(rounded);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') {
        text.pop_back();
    }
    return text + "s";
}
} // namespace

ThrottleLimits throttle_limits(const planners::BackfillSettings& settings) {
    ThrottleLimits limits;
    limits.max_replication_lag = settings.max_replication_lag;
    limits.max_replication_lag_bytes = settings.max_replication_lag_bytes;
    limits.max_transaction_age = settings.max_transaction_age;
    limits.pause_during_autovacuum = settings.pause_during_autovacuum;
    limits.max_wal_bytes_per_second = settings.max_wal_bytes_per_second;
    return limits;
}

Throttle throttle(const HealthSample& sample, const ThrottleLimits& limits) {
    if (sample.paused_by_user) {
        return {"pause", "paused by " + (sample.paused_by.empty() ? std::string("pgphase pause")
                                                                  : sample.paused_by)};
    }
    if (!sample.probe_error.empty()) {
        return {"health_probe", "health probe failed: " + sample.probe_error};
    }
    if (sample.replica_lag_bytes && limits.max_replication_lag_bytes > 0 &&
        *sample.replica_lag_bytes > limits.max_replication_lag_bytes) {
        return {"replica_lag", "replica lag " + std::to_string(*sample.replica_lag_bytes) +
                                   " bytes > " + std::to_string(limits.max_replication_lag_bytes)};
    }
    if (sample.replica_lag_seconds && limits.max_replication_lag.count() > 0 &&
        *sample.replica_lag_seconds * 1000.0 >
            static_cast<double>(limits.max_replication_lag.count())) {
        return {"replica_lag",
                "replica lag " + seconds(*sample.replica_lag_seconds) + " > " +
                    seconds(static_cast<double>(limits.max_replication_lag.count()) / 1000.0)};
    }
    if (sample.sessions_blocked > 0) {
        return {"blocked_sessions", std::to_string(sample.sessions_blocked) +
                                        " session(s) waiting on the backfill's locks"};
    }
    if (sample.oldest_transaction_seconds && limits.max_transaction_age.count() > 0 &&
        *sample.oldest_transaction_seconds * 1000.0 >
            static_cast<double>(limits.max_transaction_age.count())) {
        return {"long_transaction",
                "a transaction has been open for " + seconds(*sample.oldest_transaction_seconds)};
    }
    if (sample.autovacuum_on_table && limits.pause_during_autovacuum) {
        return {"autovacuum", "autovacuum is running on the table"};
    }
    if (sample.wal_bytes_per_second && limits.max_wal_bytes_per_second > 0 &&
        *sample.wal_bytes_per_second > static_cast<double>(limits.max_wal_bytes_per_second)) {
        return {"wal_rate",
                "WAL at " +
                    std::to_string(static_cast<std::int64_t>(*sample.wal_bytes_per_second)) +
                    " bytes/s > " + std::to_string(limits.max_wal_bytes_per_second)};
    }
    if (!sample.health_query_error.empty()) {
        return {"health_query", "health_query failed: " + sample.health_query_error};
    }
    if (sample.health_query_ok && !*sample.health_query_ok) {
        return {"health_query", "health_query returned false"};
    }
    return {};
}

std::string throttle_reason(const HealthSample& sample, const ThrottleLimits& limits) {
    return throttle(sample, limits).reason;
}

} // namespace pgphase::orchestrator
