// Drives a MigrationRunner per target inside the wave scheduler, and writes the summary.
#include "orchestrator/fleet/fleet_run.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/fleet/text_table.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/pg/session.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

namespace pgphase::orchestrator::fleet {

namespace {

using planners::fleet::Fleet;

std::string with_hint(const CommandError& e) {
    return e.hint().empty() ? std::string(e.what()) : std::string(e.what()) + "\nhint: " + e.hint();
}

// A phase that could not be read after a failure (the connection was gone).
constexpr const char* unknown_phase = "(unknown)";

void end(TargetRun& run, TargetState state, int exit_code, std::string detail) {
    run.state = state;
    run.exit_code = exit_code;
    run.detail = std::move(detail);
}

// One target, start to end; every outcome becomes a TargetRun.
TargetRun run_target(const Fleet& fleet, std::size_t index, const planners::Plan& plan,
                     const FleetRunOptions& options, const std::atomic<bool>& stop) {
    const planners::fleet::Target& target = fleet.targets[index];
    const log::Context scope(log::Fields{{"target", target.name}});
    const auto started = std::chrono::steady_clock::now();
    const auto line = [&](const std::string& text) {
        if (options.on_line) {
            options.on_line(index, text, false, false);
        }
    };
    RunOptions run = options.run;
    run.stop = &stop;
    run.progress_bar = false; // one bar per target would garble the terminal
    run.on_progress = [&](const RunProgress& progress) { line(progress_line(progress)); };
    log::info("fleet.target.started", {{"command", options.command}, {"migration", plan.name}});
    line("connecting");

    TargetRun out;
    std::unique_ptr<MigrationRunner> runner;
    try {
        runner = std::make_unique<MigrationRunner>(plan, Dsn(target.dsn), run);
        out.reached = true;
        out.before = runner->phase();
        PhaseReport report;
        if (options.command == "rollback") {
            report = runner->rollback();
        } else {
            report = runner->advance(options.to).work;
        }
        out.steps = report.steps_run;
        out.rows = report.rows_backfilled;
        out.state = TargetState::done;
    } catch (const MigrationHeld& e) {
        end(out, TargetState::skipped, static_cast<int>(e.code()), "held by " + e.holder());
    } catch (const Stopped& e) {
        end(out, TargetState::stopped, 0, with_hint(e));
    } catch (const CommandError& e) {
        end(out, TargetState::failed, static_cast<int>(e.code()), with_hint(e));
    } catch (const DatabaseError& e) {
        end(out, TargetState::failed, static_cast<int>(ExitCode::failed),
            std::string(e.what()) +
                (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")"));
    }
    if (runner) {
        try {
            out.after = runner->phase();
        } catch (const DatabaseError&) {
            out.after = unknown_phase; // the connection is gone
        }
    }
    out.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
    const log::Fields fields = {{"result", state_name(out.state)},
                                {"phase", out.after.empty() ? "-" : out.after},
                                {"exit_code", std::to_string(out.exit_code)},
                                {"elapsed_ms", std::to_string(out.duration_ms)}};
    if (out.state == TargetState::failed) {
        log::error("fleet.target.done", fields);
    } else {
        log::info("fleet.target.done", fields);
    }
    if (options.on_line) {
        options.on_line(index,
                        std::string(state_name(out.state)) +
                            (out.after.empty() ? "" : " (" + out.after + ")"),
                        true, out.state != TargetState::done);
    }
    return out;
}

// A phase for the table: "-" where it is not known (the target did not run, or its database
// was not reached), "not started" where the migration had no record.
std::string phase_or_dash(const std::string& phase, const TargetRun& run) {
    if (!run.reached) {
        return "-";
    }
    return phase.empty() ? "not started" : phase;
}

// A phase for JSON: null where it is not known, or where the migration had no record.
nlohmann::json json_phase(const TargetRun& run, const std::string& phase) {
    if (!run.reached || phase.empty() || phase == unknown_phase) {
        return nullptr;
    }
    return phase;
}

std::string headline(const Fleet& fleet, const planners::Plan& plan,
                     const FleetRunOptions& options) {
    std::string out = options.command + " " + plan.name;
    if (options.command == "advance") {
        out += std::string(" --to ") + target_name(options.to);
    }
    return out + " on fleet " + fleet.source_file;
}

} // namespace

std::vector<TargetRun> run_fleet(const Fleet& fleet, const planners::Plan& plan,
                                 const FleetRunOptions& options) {
    return run_waves(fleet, [&](std::size_t index, const std::atomic<bool>& stop) {
        return run_target(fleet, index, plan, options, stop);
    });
}

std::string progress_line(const RunProgress& progress) {
    std::string out = progress.phase + " step " + std::to_string(progress.step) + "/" +
                      std::to_string(progress.total);
    if (progress.fraction >= 0) {
        std::array<char, 32> share{};
        std::snprintf(share.data(), share.size(), " %.1f%%", progress.fraction * 100.0);
        out += share.data();
        out += " " + std::to_string(progress.rows) + " rows";
    }
    return out + " " + progress.summary;
}

std::string fleet_run_text(const Fleet& fleet, const planners::Plan& plan,
                           const FleetRunOptions& options, const std::vector<TargetRun>& runs) {
    std::vector<std::vector<std::string>> rows = {
        {"TARGET", "WAVE", "PHASE", "TIME", "ROWS", "RESULT", "ERROR"}};
    std::string details;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const TargetRun& run = runs[i];
        const bool ran = run.state != TargetState::not_started;
        const std::string& name = fleet.targets[i].name;
        std::string result = state_name(run.state);
        if (run.exit_code != 0) {
            result += " (exit " + std::to_string(run.exit_code) + ")";
        }
        rows.push_back({name, std::to_string(wave_of(fleet, i)),
                        phase_or_dash(run.before, run) + " -> " + phase_or_dash(run.after, run),
                        ran ? seconds_text(run.duration_ms) : "-",
                        ran ? std::to_string(run.rows) : "-", result, first_line(run.detail)});
        if (run.state == TargetState::failed || run.state == TargetState::stopped) {
            details += name + ": " + run.detail + "\n";
        }
    }
    std::size_t done = 0;
    for (const TargetRun& run : runs) {
        done += run.state == TargetState::done ? 1 : 0;
    }
    std::string out = headline(fleet, plan, options) + ": " + std::to_string(done) + " of " +
                      std::to_string(runs.size()) + " targets done, exit " +
                      std::to_string(worst_exit_code(runs)) + "\n";
    out += text_table(rows);
    return details.empty() ? out : out + "\n" + details;
}

nlohmann::json fleet_run_json(const Fleet& fleet, const planners::Plan& plan,
                              const FleetRunOptions& options, const std::vector<TargetRun>& runs) {
    nlohmann::json targets = nlohmann::json::array();
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const TargetRun& run = runs[i];
        targets.push_back({{"name", fleet.targets[i].name},
                           {"wave", wave_of(fleet, i)},
                           {"result", state_name(run.state)},
                           {"exit_code", run.exit_code},
                           {"phase_before", json_phase(run, run.before)},
                           {"phase_after", json_phase(run, run.after)},
                           {"duration_ms", run.duration_ms},
                           {"steps", run.steps},
                           {"rows", run.rows},
                           {"detail", run.detail}});
    }
    nlohmann::json out = {{"fleet", fleet.source_file},
                          {"command", options.command},
                          {"migration", plan.name},
                          {"exit_code", worst_exit_code(runs)},
                          {"targets", targets}};
    if (options.command == "advance") {
        out["to"] = target_name(options.to);
    }
    return out;
}

} // namespace pgphase::orchestrator::fleet
