// Runs deploy() per target inside the wave scheduler, and writes the summary.
#include "orchestrator/fleet/fleet_deploy.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/fleet/fleet_run.hpp"
#include "orchestrator/fleet/text_table.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/session.hpp"

#include <chrono>
#include <map>

namespace pgphase::orchestrator::fleet {

namespace {

using planners::fleet::Fleet;

// "2 applied, 1 expanded": the migrations' states that changed something, or are waiting.
std::string migrations_text(const DeployReport& report) {
    std::map<std::string, int> counts;
    for (const DeployedMigration& migration : report.migrations) {
        if (migration.state != "already_applied" && migration.state != "waiting") {
            ++counts[migration.state];
        }
    }
    std::string out;
    for (const auto& [state, count] : counts) {
        out += (out.empty() ? "" : ", ") + std::to_string(count) + " " + state;
    }
    return out.empty() ? "up to date" : out;
}

std::int64_t rows_of(const DeployReport& report) {
    std::int64_t rows = 0;
    for (const DeployedMigration& migration : report.migrations) {
        rows += migration.rows_backfilled;
    }
    return rows;
}

} // namespace

FleetDeploy deploy_fleet(const Fleet& fleet, const std::string& dir, const DeployOptions& options,
                         const LiveLine& on_line) {
    FleetDeploy out;
    out.reports.resize(fleet.targets.size());
    out.runs = run_waves(fleet, [&](std::size_t index, const std::atomic<bool>& stop) {
        const planners::fleet::Target& target = fleet.targets[index];
        const log::Context scope(log::Fields{{"target", target.name}});
        const auto started = std::chrono::steady_clock::now();
        DeployOptions mine = options;
        mine.stop = &stop;
        mine.progress_bar = false;
        if (on_line) {
            mine.on_progress = [&](const RunProgress& p) {
                on_line(index, progress_line(p), false, false);
            };
            on_line(index, "deploying " + dir, false, false);
        }
        log::info("fleet.target.started", {{"command", "deploy"}, {"folder", dir}});
        TargetRun run;
        try {
            DeployReport report = deploy(dir, Dsn(target.dsn), mine);
            run.exit_code = report.exit_code;
            run.state = report.result == "stopped" ? TargetState::stopped
                        : report.exit_code == 0    ? TargetState::done
                                                   : TargetState::failed;
            run.after = report.result;
            run.detail = report.exit_code == 0 && report.result != "stopped" ? "" : report.message;
            run.rows = rows_of(report);
            out.reports[index] = std::move(report);
        } catch (const MigrationHeld& e) {
            run = target_run(TargetState::skipped, static_cast<int>(e.code()),
                             "held by " + e.holder());
        } catch (const CommandError& e) {
            run =
                target_run(TargetState::failed, static_cast<int>(e.code()),
                           std::string(e.what()) + (e.hint().empty() ? "" : "\nhint: " + e.hint()));
        } catch (const DatabaseError& e) {
            run = target_run(TargetState::failed, static_cast<int>(ExitCode::failed),
                             std::string(e.what()) +
                                 (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")"));
        }
        run.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
        log::info("fleet.target.done", {{"result", state_name(run.state)},
                                        {"deploy", run.after.empty() ? "-" : run.after},
                                        {"exit_code", std::to_string(run.exit_code)},
                                        {"elapsed_ms", std::to_string(run.duration_ms)}});
        if (on_line) {
            on_line(index, std::string(state_name(run.state)), true,
                    run.state != TargetState::done);
        }
        return run;
    });
    return out;
}

std::string fleet_deploy_text(const Fleet& fleet, const std::string& dir,
                              const FleetDeploy& deployed) {
    std::vector<std::vector<std::string>> rows = {
        {"TARGET", "WAVE", "DEPLOY", "MIGRATIONS", "TIME", "ROWS", "RESULT", "ERROR"}};
    std::string details;
    std::size_t done = 0;
    for (std::size_t i = 0; i < deployed.runs.size(); ++i) {
        const TargetRun& run = deployed.runs[i];
        const auto& report = deployed.reports[i];
        const std::string& name = fleet.targets[i].name;
        const bool ran = run.state != TargetState::not_started;
        std::string result = state_name(run.state);
        if (run.exit_code != 0) {
            result += " (exit " + std::to_string(run.exit_code) + ")";
        }
        done += run.state == TargetState::done ? 1 : 0;
        rows.push_back({name, std::to_string(wave_of(fleet, i)), report ? report->result : "-",
                        report ? migrations_text(*report) : "-",
                        ran ? seconds_text(run.duration_ms) : "-",
                        report ? std::to_string(run.rows) : "-", result, first_line(run.detail)});
        if (run.state == TargetState::failed || run.state == TargetState::stopped) {
            details +=
                "\n== " + name + " ==\n" + (report ? deploy_text(*report) : run.detail + "\n");
        }
    }
    std::string out = "deploy " + dir + " on fleet " + fleet.source_file + ": " +
                      std::to_string(done) + " of " + std::to_string(deployed.runs.size()) +
                      " targets done, exit " + std::to_string(worst_exit_code(deployed.runs)) +
                      "\n";
    return out + text_table(rows) + details;
}

nlohmann::json fleet_deploy_json(const Fleet& fleet, const std::string& dir,
                                 const FleetDeploy& deployed) {
    nlohmann::json targets = nlohmann::json::array();
    for (std::size_t i = 0; i < deployed.runs.size(); ++i) {
        const TargetRun& run = deployed.runs[i];
        const auto& report = deployed.reports[i];
        targets.push_back({{"name", fleet.targets[i].name},
                           {"wave", wave_of(fleet, i)},
                           {"result", state_name(run.state)},
                           {"exit_code", run.exit_code},
                           {"duration_ms", run.duration_ms},
                           {"detail", run.detail},
                           {"deploy", report ? deploy_json(*report) : nlohmann::json(nullptr)}});
    }
    return {{"fleet", fleet.source_file},
            {"command", "deploy"},
            {"dir", dir},
            {"exit_code", worst_exit_code(deployed.runs)},
            {"targets", targets}};
}

} // namespace pgphase::orchestrator::fleet
