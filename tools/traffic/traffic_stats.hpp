// The pure half of `pgphase traffic`: one line per query in its log, and the latency summary
// of a time window (nearest-rank percentiles). No database, no clock, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgphase::tools::traffic {

// One application query: when it was due to start (its place in the fixed-rate schedule),
// how long from then until its result, and how it ended.
struct QuerySample {
    std::int64_t start_us = 0;   // scheduled start, microseconds since the epoch
    std::int64_t latency_us = 0; // end - scheduled start: queueing behind a blocked query counts
    int query = 0;               // index of the statement in --query order
    std::string outcome = "ok";  // "ok", else the SQLSTATE, or "conn" when the connection broke

    bool ok() const { return outcome == "ok"; }
};

// "START_US LATENCY_US QUERY OUTCOME", the log's line format (without the newline).
std::string format_sample(const QuerySample& sample);
// nullopt for a line that is not one (a blank line, a truncated last line).
std::optional<QuerySample> parse_sample(std::string_view line);

struct LatencySummary {
    std::size_t queries = 0; // every query started in the window, failed or not
    std::size_t errors = 0;
    double p50_ms = 0; // over the successful queries; 0 when there are none
    double p99_ms = 0;
    double max_ms = 0;
};

// The nearest-rank percentile (q in [0, 1]) of ascending values: the smallest value with at
// least q of all values at or below it. 0 for no values.
std::int64_t percentile(const std::vector<std::int64_t>& ascending, double q);

// The queries scheduled to start in [from_us, to_us).
LatencySummary summarize(const std::vector<QuerySample>& samples, std::int64_t from_us,
                         std::int64_t to_us);

// "12345 queries, 0 errors, latency p50 0.41 ms, p99 2.30 ms, max 9.12 ms"
std::string describe(const LatencySummary& summary);

} // namespace pgphase::tools::traffic
