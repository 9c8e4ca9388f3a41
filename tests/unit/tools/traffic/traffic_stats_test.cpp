// The demo traffic client's pure parts: its log line format and its latency percentiles.
#include "tools/traffic/traffic_stats.hpp"

#include <gtest/gtest.h>
#include <limits>

namespace pgphase::tools::traffic {
namespace {

QuerySample sample(std::int64_t start_us, std::int64_t latency_us, std::string outcome = "ok") {
    QuerySample s;
    s.start_us = start_us;
    s.latency_us = latency_us;
    s.outcome = std::move(outcome);
    return s;
}

constexpr std::int64_t everything_from = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t everything_to = std::numeric_limits<std::int64_t>::max();

TEST(TrafficStats, ALogLineReadsBackAsTheSameSample) {
    QuerySample written = sample(1764081000123456, 812, "40P01");
    written.query = 2;
    const auto read = parse_sample(format_sample(written));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->start_us, 1764081000123456);
    EXPECT_EQ(read->latency_us, 812);
    EXPECT_EQ(read->query, 2);
    EXPECT_EQ(read->outcome, "40P01");
    EXPECT_FALSE(read->ok());
}

TEST(TrafficStats, ATruncatedOrMalformedLineIsNotASample) {
    EXPECT_FALSE(parse_sample(""));
    EXPECT_FALSE(parse_sample("1764081000123456 812"));
    EXPECT_FALSE(parse_sample("1764081000123456 812 0 ok extra"));
    EXPECT_FALSE(parse_sample("1764081000123456 -5 0 ok"));
    EXPECT_FALSE(parse_sample("x 812 0 ok"));
}

TEST(TrafficStats, PercentilesAreNearestRank) {
    std::vector<std::int64_t> values;
    for (std::int64_t v = 1; v <= 100; ++v) {
        values.push_back(v);
    }
    EXPECT_EQ(percentile(values, 0.50), 50);
    EXPECT_EQ(percentile(values, 0.99), 99);
    EXPECT_EQ(percentile(values, 1.0), 100);
    EXPECT_EQ(percentile(values, 0.0), 1);
    EXPECT_EQ(percentile({7}, 0.99), 7);
    EXPECT_EQ(percentile({}, 0.5), 0);
}

TEST(TrafficStats, OneSlowQueryInAHundredShowsInTheMaxNotTheP99) {
    std::vector<QuerySample> samples;
    for (int i = 0; i < 99; ++i) {
        samples.push_back(sample(i, 1000));
    }
    samples.push_back(sample(99, 250000));
    const LatencySummary summary = summarize(samples, everything_from, everything_to);
    EXPECT_EQ(summary.queries, 100u);
    EXPECT_DOUBLE_EQ(summary.p50_ms, 1.0);
    EXPECT_DOUBLE_EQ(summary.p99_ms, 1.0);
    EXPECT_DOUBLE_EQ(summary.max_ms, 250.0);
}

TEST(TrafficStats, FailedQueriesCountAsQueriesAndErrorsButNotInLatency) {
    const LatencySummary summary =
        summarize({sample(1, 2000), sample(2, 9000000, "conn"), sample(3, 4000, "42703")},
                  everything_from, everything_to);
    EXPECT_EQ(summary.queries, 3u);
    EXPECT_EQ(summary.errors, 2u);
    EXPECT_DOUBLE_EQ(summary.max_ms, 2.0);
}

TEST(TrafficStats, AWindowTakesTheQueriesScheduledInsideItHalfOpen) {
    const std::vector<QuerySample> samples{sample(10, 1000), sample(20, 2000),
                                           sample(30, 3000, "conn"), sample(40, 4000)};
    const LatencySummary before = summarize(samples, 10, 30);
    EXPECT_EQ(before.queries, 2u);
    EXPECT_EQ(before.errors, 0u);
    EXPECT_DOUBLE_EQ(before.max_ms, 2.0);
    const LatencySummary during = summarize(samples, 30, 41);
    EXPECT_EQ(during.queries, 2u);
    EXPECT_EQ(during.errors, 1u);
    EXPECT_DOUBLE_EQ(during.max_ms, 4.0);
}

TEST(TrafficStats, AnEmptyWindowReportsZeros) {
    const LatencySummary summary = summarize({sample(10, 1000)}, 100, 200);
    EXPECT_EQ(summary.queries, 0u);
    EXPECT_EQ(describe(summary),
              "0 queries, 0 errors, latency p50 0.00 ms, p99 0.00 ms, max 0.00 ms");
}

} // namespace
} // namespace pgphase::tools::traffic
