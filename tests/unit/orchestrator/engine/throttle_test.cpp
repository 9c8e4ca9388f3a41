// Throttle reasons: any one signal over its limit pauses; a failed probe pauses (fail closed).
#include "orchestrator/engine/throttle.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

ThrottleLimits limits() {
    ThrottleLimits l;
    l.max_replication_lag = planners::Milliseconds(10'000);
    l.max_replication_lag_bytes = 1000;
    l.max_transaction_age = planners::Milliseconds(60'000);
    l.pause_during_autovacuum = true;
    l.max_wal_bytes_per_second = 5000;
    return l;
}

TEST(Throttle, AHealthySampleRuns) {
    HealthSample sample;
    sample.replica_lag_bytes = 10;
    sample.replica_lag_seconds = 0.5;
    sample.oldest_transaction_seconds = 3;
    sample.wal_bytes_per_second = 100;
    sample.health_query_ok = true;
    EXPECT_EQ(throttle_reason(sample, limits()), "");
}

TEST(Throttle, EachSignalAloneHoldsTheWork) {
    HealthSample lag_bytes;
    lag_bytes.replica_lag_bytes = 5000;
    EXPECT_EQ(throttle_reason(lag_bytes, limits()), "replica lag 5000 bytes > 1000");

    HealthSample lag_time;
    lag_time.replica_lag_seconds = 12.34;
    EXPECT_EQ(throttle_reason(lag_time, limits()), "replica lag 12.3s > 10s");

    HealthSample blocked;
    blocked.sessions_blocked = 2;
    EXPECT_EQ(throttle_reason(blocked, limits()), "2 session(s) waiting on the backfill's locks");

    HealthSample old_xact;
    old_xact.oldest_transaction_seconds = 61;
    EXPECT_EQ(throttle_reason(old_xact, limits()), "a transaction has been open for 61s");

    HealthSample vacuum;
    vacuum.autovacuum_on_table = true;
    EXPECT_EQ(throttle_reason(vacuum, limits()), "autovacuum is running on the table");

    HealthSample wal;
    wal.wal_bytes_per_second = 9000;
    EXPECT_EQ(throttle_reason(wal, limits()), "WAL at 9000 bytes/s > 5000");

    HealthSample health;
    health.health_query_ok = false;
    EXPECT_EQ(throttle_reason(health, limits()), "health_query returned false");
}

TEST(Throttle, FailedProbesHoldTheWorkRatherThanReuseOldValues) {
    HealthSample probe;
    probe.probe_error = "connection lost";
    EXPECT_EQ(throttle_reason(probe, limits()), "health probe failed: connection lost");
    HealthSample query;
    query.health_query_error = "relation \"x\" does not exist";
    EXPECT_EQ(throttle_reason(query, limits()),
              "health_query failed: relation \"x\" does not exist");
}

TEST(Throttle, AUserPauseWinsAndNamesWhoPaused) {
    HealthSample sample;
    sample.paused_by_user = true;
    sample.paused_by = "oncall";
    sample.probe_error = "also broken";
    EXPECT_EQ(throttle_reason(sample, limits()), "paused by oncall");
}

TEST(Throttle, LimitsOfZeroAreNotChecked) {
    ThrottleLimits off;
    off.max_replication_lag = planners::Milliseconds(0);
    off.max_replication_lag_bytes = 0;
    off.max_transaction_age = planners::Milliseconds(0);
    off.max_wal_bytes_per_second = 0;
    HealthSample sample;
    sample.replica_lag_bytes = 1'000'000'000;
    sample.replica_lag_seconds = 1000;
    sample.oldest_transaction_seconds = 100000;
    sample.autovacuum_on_table = true;
    sample.wal_bytes_per_second = 1e12;
    EXPECT_EQ(throttle_reason(sample, off), "");
}

// The kind is what /metrics labels and the charts colour by: one stable word per signal.
TEST(ThrottleKind, EachSignalHasItsKind) {
    const auto kind = [](const HealthSample& sample) {
        const ThrottleLimits l = limits();
        return throttle(sample, l).kind;
    };
    EXPECT_EQ(kind(HealthSample{}), "");
    HealthSample sample;
    sample.paused_by_user = true;
    EXPECT_EQ(kind(sample), "pause");
    sample = {};
    sample.probe_error = "connection lost";
    EXPECT_EQ(kind(sample), "health_probe");
    sample = {};
    sample.replica_lag_seconds = 30;
    EXPECT_EQ(kind(sample), "replica_lag");
    sample = {};
    sample.sessions_blocked = 1;
    EXPECT_EQ(kind(sample), "blocked_sessions");
    sample = {};
    sample.oldest_transaction_seconds = 120;
    EXPECT_EQ(kind(sample), "long_transaction");
    sample = {};
    sample.autovacuum_on_table = true;
    EXPECT_EQ(kind(sample), "autovacuum");
    sample = {};
    sample.wal_bytes_per_second = 1e9;
    EXPECT_EQ(kind(sample), "wal_rate");
    sample = {};
    sample.health_query_ok = false;
    EXPECT_EQ(kind(sample), "health_query");
}

} // namespace
} // namespace pgphase::orchestrator
