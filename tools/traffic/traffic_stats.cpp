// Query log lines and latency summaries for `pgphase traffic`. Pure.
#include "tools/traffic/traffic_stats.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace pgphase::tools::traffic {

std::string format_sample(const QuerySample& sample) {
    return std::to_string(sample.start_us) + " " + std::to_string(sample.latency_us) + " " +
           std::to_string(sample.query) + " " + sample.outcome;
}

std::optional<QuerySample> parse_sample(std::string_view line) {
    std::istringstream in{std::string(line)};
    QuerySample sample;
    std::string rest;
    if (!(in >> sample.start_us >> sample.latency_us >> sample.query >> sample.outcome) ||
        (in >> rest) || sample.latency_us < 0 || sample.query < 0) {
        return std::nullopt;
    }
    return sample;
}

std::int64_t percentile(const std::vector<std::int64_t>& ascending, double q) {
    if (ascending.empty()) {
        return 0;
    }
    const auto n = static_cast<double>(ascending.size());
    // Nearest rank: ceil(q * n), counted from 1; q = 0 gives the smallest value.
    const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
    return ascending[std::min(rank, ascending.size()) - 1];
}

LatencySummary summarize(const std::vector<QuerySample>& samples, std::int64_t from_us,
                         std::int64_t to_us) {
    LatencySummary summary;
    std::vector<std::int64_t> latencies;
    for (const QuerySample& sample : samples) {
        if (sample.start_us < from_us || sample.start_us >= to_us) {
            continue;
        }
        ++summary.queries;
        if (!sample.ok()) {
            ++summary.errors;
            continue;
        }
        latencies.push_back(sample.latency_us);
    }
    std::sort(latencies.begin(), latencies.end());
    auto ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
    summary.p50_ms = ms(percentile(latencies, 0.50));
    summary.p99_ms = ms(percentile(latencies, 0.99));
    summary.max_ms = ms(percentile(latencies, 1.0));
    return summary;
}

std::string describe(const LatencySummary& summary) {
    std::array<char, 160> buffer{};
    std::snprintf(buffer.data(), buffer.size(),
                  "%zu queries, %zu errors, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                  summary.queries, summary.errors, summary.p50_ms, summary.p99_ms, summary.max_ms);
    return buffer.data();
}

} // namespace pgphase::tools::traffic
