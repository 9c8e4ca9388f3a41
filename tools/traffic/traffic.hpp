// `pgphase traffic` (hidden): a fixed-rate application client for scripts/demo.sh. It runs
// point queries on its own connections, counts every failed one, and logs each query's
// latency; `pgphase traffic-report` summarizes such logs over a time window.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace pgphase::orchestrator::cli {

struct TrafficArgs {
    std::string name = "app";         // in application_name and the summary line
    std::vector<std::string> queries; // each takes $1: a random id in [1, max_id]
    std::string search_path;          // "" = the server's default
    int clients = 2;
    double rate = 100;                    // queries per second over all clients
    std::int64_t max_id = 1;              // upper bound for $1
    std::string log_file;                 // one line per query (traffic_stats.hpp); "" = none
    std::string duration;                 // "" = until SIGINT or SIGTERM
    std::string statement_timeout = "5s"; // a query blocked longer fails (and is counted)
};

struct TrafficReportArgs {
    std::vector<std::string> log_files;
    double from = 0; // seconds since the epoch (date +%s.%N); 0 = from the first query
    double to = 0;   // 0 = through the last query
};

CLI::App* add_traffic_command(CLI::App& app, TrafficArgs& args);
CLI::App* add_traffic_report_command(CLI::App& app, TrafficReportArgs& args);

// Runs the clients until the duration or a signal, writes the log, prints the summary line
// on stdout. Exit 0 when every query succeeded, 1 otherwise.
int traffic_command(const Common& common, const TrafficArgs& args);

// Prints "QUERIES ERRORS P50_MS P99_MS MAX_MS" for the queries scheduled to start in
// [from, to). Exit 2 when a log cannot be read.
int traffic_report_command(const TrafficReportArgs& args);

} // namespace pgphase::orchestrator::cli
