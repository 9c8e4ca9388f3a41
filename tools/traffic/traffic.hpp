// pgphase-traffic: the fixed-rate application client of scripts/demo.sh, a tool beside
// pgphase rather than a pgphase command. `run` runs point queries on its own connections,
// counts every failed one and logs each query's latency; `report` summarizes such logs over a
// time window.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace pgphase::tools::traffic {

struct TrafficArgs {
    std::string dsn;                  // "" = $DATABASE_URL
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

CLI::App* add_run_command(CLI::App& app, TrafficArgs& args);
CLI::App* add_report_command(CLI::App& app, TrafficReportArgs& args);

// Runs the clients until the duration or a signal, writes the log, prints the summary line
// on stdout. Exit 0 when every query succeeded, 1 otherwise; throws CommandError (exit 2) on
// bad arguments.
int run_traffic(const TrafficArgs& args);

// Prints "QUERIES ERRORS P50_MS P99_MS MAX_MS" for the queries scheduled to start in
// [from, to). Throws CommandError (exit 2) when a log cannot be read.
int report_traffic(const TrafficReportArgs& args);

// The whole program: parses argv, runs the subcommand, maps errors to exit codes.
int main(int argc, char** argv) noexcept;

} // namespace pgphase::tools::traffic
