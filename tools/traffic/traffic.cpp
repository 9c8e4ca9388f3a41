// pgphase-traffic `run` and `report`: the demo's application clients. Each client
// thread has its own Session and runs the given statements on a fixed-rate schedule; a
// failed query is counted and logged, never retried, and a broken connection is reopened.
// SIGINT/SIGTERM are taken by the main thread only (sigtimedwait), so no handler runs code.
#include "tools/traffic/traffic.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/pg/session.hpp"
#include "planners/load/plan_loader.hpp"
#include "tools/traffic/traffic_stats.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <random>
#include <thread>

namespace pgphase::tools::traffic {

using orchestrator::CommandError;
using orchestrator::DatabaseError;
using orchestrator::Dsn;
using orchestrator::ExitCode;
using orchestrator::Session;

namespace {

using Clock = std::chrono::system_clock;

std::int64_t micros(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Errors are counted in the log; only the first few are described on stderr.
class ErrorReporter {
public:
    explicit ErrorReporter(std::string name)
        : m_name(std::move(name)) {}

    void report(const std::string& what) {
        const std::lock_guard lock(m_mutex);
        if (++m_reported <= 10) {
            std::cerr << "traffic " << m_name << ": query failed: " << what << "\n";
        } else if (m_reported == 11) {
            std::cerr << "traffic " << m_name << ": further failures are only counted\n";
        }
    }

private:
    std::string m_name;
    std::mutex m_mutex;
    int m_reported = 0;
};

struct ClientPlan {
    const TrafficArgs* args = nullptr;
    const Dsn* dsn = nullptr;
    int index = 0;
    Clock::time_point first; // this client's first scheduled start
    Clock::duration interval{};
    std::string statement_timeout_ms; // "0" = none
};

std::unique_ptr<Session> connect(const ClientPlan& plan) {
    auto session = std::make_unique<Session>(*plan.dsn, "pgphase traffic " + plan.args->name + " " +
                                                            std::to_string(plan.index));
    session->query("SELECT pg_catalog.set_config('statement_timeout', $1, false)",
                   {plan.statement_timeout_ms});
    if (!plan.args->search_path.empty()) {
        session->query("SELECT pg_catalog.set_config('search_path', $1, false)",
                       {plan.args->search_path});
    }
    return session;
}

// Sleeps until `when` or until asked to stop, whichever comes first; false if asked to stop.
bool wait_until(Clock::time_point when, const std::atomic<bool>& stop) {
    while (!stop.load()) {
        const auto now = Clock::now();
        if (now >= when) {
            return true;
        }
        std::this_thread::sleep_for(
            std::min<Clock::duration>(when - now, std::chrono::milliseconds(50)));
    }
    return false;
}

void run_client(const ClientPlan& plan, const std::atomic<bool>& stop, ErrorReporter& errors,
                std::vector<QuerySample>& samples) {
    const TrafficArgs& args = *plan.args;
    std::mt19937_64 random(std::random_device{}() + static_cast<unsigned>(plan.index));
    std::uniform_int_distribution<std::int64_t> ids(1, args.max_id);
    std::unique_ptr<Session> session;
    auto due = plan.first;
    for (std::size_t n = 0; wait_until(due, stop); ++n, due += plan.interval) {
        QuerySample sample;
        sample.start_us = micros(due);
        sample.query =
            static_cast<int>((n + static_cast<std::size_t>(plan.index)) % args.queries.size());
        try {
            if (!session) {
                session = connect(plan);
            }
            session->query(args.queries[static_cast<std::size_t>(sample.query)],
                           {std::to_string(ids(random))});
        } catch (const DatabaseError& e) {
            sample.outcome = e.connection_lost() || e.sqlstate().empty() ? "conn" : e.sqlstate();
            if (e.connection_lost()) {
                session.reset();
            }
            errors.report(std::string(e.what()) + " (" + sample.outcome + ")");
        } catch (const std::exception& e) {
            // A thread boundary: whatever went wrong, it is one failed query, counted.
            sample.outcome = "conn";
            session.reset();
            errors.report(e.what());
        }
        sample.latency_us = micros(Clock::now()) - sample.start_us;
        samples.push_back(sample);
        if (!sample.ok() && !session) {
            // Do not spin on a server that is gone; the schedule's missed slots are not run.
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

// Blocks until SIGINT/SIGTERM or the deadline (if any); the signals must be blocked already.
void wait_for_stop(const sigset_t& signals, std::optional<Clock::time_point> deadline) {
    for (;;) {
        if (deadline && Clock::now() >= *deadline) {
            return;
        }
        const timespec tick{0, 200'000'000};
        if (sigtimedwait(&signals, nullptr, &tick) > 0) {
            return;
        }
    }
}

} // namespace

CLI::App* add_run_command(CLI::App& app, TrafficArgs& args) {
    auto* traffic =
        app.add_subcommand("run", "run application queries at a fixed rate, counting failures");
    traffic->add_option("--dsn", args.dsn, "database URL (default: $DATABASE_URL)");
    traffic->add_option("--name", args.name, "label for application_name and the summary");
    traffic->add_option("--query", args.queries, "a statement taking $1, a random id (repeatable)")
        ->required();
    traffic->add_option("--search-path", args.search_path, "set on each connection");
    traffic->add_option("--clients", args.clients, "connections, one thread each")
        ->check(CLI::Range(1, 64));
    traffic->add_option("--rate", args.rate, "queries per second over all clients")
        ->check(CLI::Range(0.1, 100000.0));
    traffic->add_option("--max-id", args.max_id, "$1 is uniform in [1, max-id]")
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
    traffic->add_option("--log", args.log_file, "write one line per query to this file");
    traffic->add_option("--duration", args.duration, "e.g. 30s (default: until SIGINT/SIGTERM)");
    traffic
        ->add_option("--statement-timeout", args.statement_timeout,
                     "a query running longer fails and counts as an error (0 = none)")
        ->capture_default_str();
    return traffic;
}

CLI::App* add_report_command(CLI::App& app, TrafficReportArgs& args) {
    auto* report = app.add_subcommand("report", "summarize the logs of `run --log`");
    report->add_option("log", args.log_files, "query logs written by run --log")->required();
    report->add_option("--from", args.from, "window start, seconds since the epoch");
    report->add_option("--to", args.to, "window end, seconds since the epoch");
    return report;
}

int run_traffic(const TrafficArgs& args) {
    const auto given = Dsn::from_option_or_env(args.dsn);
    if (!given) {
        throw CommandError(ExitCode::bad_input, "no database given",
                           "pass --dsn postgresql://user@host/db or set DATABASE_URL");
    }
    const Dsn& dsn = *given;
    std::optional<Clock::time_point> deadline;
    if (!args.duration.empty()) {
        const auto duration = planners::parse_duration(args.duration);
        if (!duration) {
            throw CommandError(ExitCode::bad_input, "--duration must be a duration, e.g. 30s");
        }
        deadline = Clock::now() + *duration;
    }
    const auto statement_timeout = args.statement_timeout == "0"
                                       ? std::optional(planners::Milliseconds(0))
                                       : planners::parse_duration(args.statement_timeout);
    if (!statement_timeout || statement_timeout->count() < 0) {
        throw CommandError(ExitCode::bad_input,
                           "--statement-timeout must be a duration, e.g. 5s (0 = none)");
    }
    std::ofstream log_out;
    if (!args.log_file.empty()) {
        log_out.open(args.log_file, std::ios::trunc);
        if (!log_out) {
            throw CommandError(ExitCode::bad_input, "cannot write " + args.log_file);
        }
    }

    // Blocked here, before any thread exists, so every thread inherits the mask and only
    // wait_for_stop ever takes these signals.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(args.clients) / args.rate));
    const auto start = Clock::now() + std::chrono::milliseconds(10);
    std::atomic<bool> stop{false};
    ErrorReporter errors(args.name);
    std::vector<ClientPlan> plans(static_cast<std::size_t>(args.clients));
    std::vector<std::vector<QuerySample>> samples(plans.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        plans[i] = ClientPlan{&args,
                              &dsn,
                              static_cast<int>(i),
                              start + interval * static_cast<int>(i) / args.clients,
                              interval,
                              std::to_string(statement_timeout->count())};
        threads.emplace_back([&, i] { run_client(plans[i], stop, errors, samples[i]); });
    }
    wait_for_stop(signals, deadline);
    stop.store(true);
    for (auto& thread : threads) {
        thread.join();
    }

    std::vector<QuerySample> all;
    for (auto& client : samples) {
        all.insert(all.end(), client.begin(), client.end());
    }
    std::sort(all.begin(), all.end(),
              [](const QuerySample& a, const QuerySample& b) { return a.start_us < b.start_us; });
    for (const QuerySample& sample : all) {
        log_out << format_sample(sample) << "\n";
    }
    const LatencySummary summary = summarize(all, std::numeric_limits<std::int64_t>::min(),
                                             std::numeric_limits<std::int64_t>::max());
    std::cout << args.name << ": " << describe(summary) << "\n";
    return summary.errors == 0 ? 0 : static_cast<int>(ExitCode::failed);
}

int report_traffic(const TrafficReportArgs& args) {
    std::vector<QuerySample> all;
    for (const std::string& file : args.log_files) {
        std::ifstream in(file);
        if (!in) {
            throw CommandError(ExitCode::bad_input, "cannot read " + file);
        }
        std::string line;
        while (std::getline(in, line)) {
            if (auto sample = parse_sample(line)) {
                all.push_back(*sample);
            }
        }
    }
    auto to_us = [](double seconds, std::int64_t otherwise) {
        return seconds <= 0 ? otherwise : static_cast<std::int64_t>(seconds * 1e6);
    };
    const LatencySummary summary =
        summarize(all, to_us(args.from, std::numeric_limits<std::int64_t>::min()),
                  to_us(args.to, std::numeric_limits<std::int64_t>::max()));
    std::printf("%zu %zu %.2f %.2f %.2f\n", summary.queries, summary.errors, summary.p50_ms,
                summary.p99_ms, summary.max_ms);
    return 0;
}

int main(int argc, char** argv) noexcept {
    try {
        CLI::App app("pgphase-traffic: the demo's application client (scripts/demo.sh)");
        app.require_subcommand(1);
        TrafficArgs run_args;
        TrafficReportArgs report_args;
        CLI::App* run = add_run_command(app, run_args);
        add_report_command(app, report_args);
        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            const int code = app.exit(e);
            return code == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
        }
        return run->parsed() ? run_traffic(run_args) : report_traffic(report_args);
    } catch (const CommandError& e) {
        std::cerr << "pgphase-traffic: error: " << e.what() << "\n";
        if (!e.hint().empty()) {
            std::cerr << "hint: " << e.hint() << "\n";
        }
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        std::cerr << "pgphase-traffic: error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::failed);
    } catch (...) {
        return static_cast<int>(ExitCode::failed);
    }
}

} // namespace pgphase::tools::traffic
