// Loads the fleet file for a command and runs orchestrator/fleet on it.
#include "orchestrator/cli/fleet_command.hpp"

#include "orchestrator/cli/commands.hpp"
#include "orchestrator/cli/deploy_command.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/fleet/fleet_deploy.hpp"
#include "orchestrator/fleet/fleet_plan.hpp"
#include "orchestrator/fleet/fleet_run.hpp"
#include "orchestrator/fleet/fleet_status.hpp"
#include "orchestrator/fleet/live_board.hpp"
#include "orchestrator/log/log.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sys/ioctl.h>
#include <unistd.h>

namespace pgphase::orchestrator::cli {

planners::fleet::Fleet load_fleet(const std::string& path) {
    const auto environment = [](const std::string& name) -> std::optional<std::string> {
        const char* value =
            std::getenv(name.c_str()); // NOLINT(concurrency-mt-unsafe): no threads yet
        return value == nullptr ? std::nullopt : std::optional<std::string>(value);
    };
    planners::fleet::FleetLoad loaded = planners::fleet::load_fleet_file(path, environment);
    if (!loaded.fleet) {
        std::cerr << loaded.diagnostics.to_string();
        throw CommandError(ExitCode::bad_input, "the fleet file \"" + path + "\" has errors",
                           "fix them; no database was touched (docs/fleet.md)");
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): before any thread starts
    setenv("PGCONNECT_TIMEOUT", "10", 0);
    return std::move(*loaded.fleet);
}

namespace {

void refuse_dsn(const Common& common) {
    if (!common.dsn.empty()) {
        throw CommandError(ExitCode::bad_input, "--fleet and --dsn are both given",
                           "pass one: --fleet runs on every target of the fleet file");
    }
}

// Runs `body` with a live board on a terminal (text logs): `body` hands the LiveLine to the
// fleet run. Elsewhere the LiveLine is empty and the log lines are the live output.
void with_live_board(const Common& common, const planners::fleet::Fleet& fleet,
                     const std::function<void(const fleet::LiveLine&)>& body) {
    if (::isatty(STDERR_FILENO) == 0 || common.log_format != "text") {
        body({});
        return;
    }
    winsize size{};
    const bool known = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0;
    fleet::LiveBoard board(fleet, known ? size.ws_col - 1U : 79U);
    body([&board](std::size_t index, const std::string& line, bool ended, bool failed) {
        board.update(index, line, ended, failed);
    });
}

} // namespace

int fleet_plan_command(const Common& common, const planners::Plan& plan, const std::string& format,
                       const std::string& path) {
    refuse_dsn(common);
    const planners::fleet::Fleet fleet = load_fleet(path);
    const planners::RenderFormat render = format == "sql"    ? planners::RenderFormat::sql
                                          : format == "json" ? planners::RenderFormat::json
                                                             : planners::RenderFormat::text;
    const auto targets = fleet::plan_fleet(fleet, plan, common.state_schema, render);
    if (render == planners::RenderFormat::json) {
        std::cout << fleet::fleet_plan_json(fleet, plan, targets).dump(2) << "\n";
    } else {
        std::cout << fleet::fleet_plan_text(fleet, plan, targets);
    }
    return fleet::fleet_plan_exit_code(targets);
}

int fleet_deploy_command(const Common& common, const DeployArgs& args,
                         const DeployOptions& options) {
    refuse_dsn(common);
    const planners::fleet::Fleet fleet = load_fleet(args.fleet);
    log::info("fleet.started", {{"command", "deploy"},
                                {"folder", args.dir},
                                {"fleet", fleet.source_file},
                                {"targets", std::to_string(fleet.targets.size())},
                                {"waves", std::to_string(fleet.waves.size())},
                                {"parallel", std::to_string(fleet.parallel)},
                                {"actor", options.actor}});
    fleet::FleetDeploy deployed;
    with_live_board(common, fleet, [&](const fleet::LiveLine& on_line) {
        deployed = fleet::deploy_fleet(fleet, args.dir, options, on_line);
    });
    if (args.format == "json") {
        std::cout << fleet::fleet_deploy_json(fleet, args.dir, deployed).dump(2) << "\n";
    } else {
        std::cout << fleet::fleet_deploy_text(fleet, args.dir, deployed);
    }
    return fleet::worst_exit_code(deployed.runs);
}

int fleet_phase_command(const Common& common, const std::string& command,
                        const planners::Plan& plan, const PhaseArgs& args,
                        const RunOptions& options) {
    refuse_dsn(common);
    const planners::fleet::Fleet fleet = load_fleet(args.fleet);
    fleet::FleetRunOptions run;
    run.command = command;
    run.to = target_from_name(args.to).value_or(AdvanceTarget::complete);
    run.run = options;
    log::info("fleet.started", {{"command", command},
                                {"migration", plan.name},
                                {"fleet", fleet.source_file},
                                {"targets", std::to_string(fleet.targets.size())},
                                {"waves", std::to_string(fleet.waves.size())},
                                {"parallel", std::to_string(fleet.parallel)},
                                {"actor", options.actor}});
    std::vector<fleet::TargetRun> runs;
    with_live_board(common, fleet, [&](const fleet::LiveLine& on_line) {
        run.on_line = on_line;
        runs = fleet::run_fleet(fleet, plan, run);
    });
    if (args.format == "json") {
        std::cout << fleet::fleet_run_json(fleet, plan, run, runs).dump(2) << "\n";
    } else {
        std::cout << fleet::fleet_run_text(fleet, plan, run, runs);
    }
    return fleet::worst_exit_code(runs);
}

int fleet_status_command(const Common& common, const std::string& path, const std::string& name,
                         bool as_json) {
    refuse_dsn(common);
    const planners::fleet::Fleet fleet = load_fleet(path);
    const auto targets = fleet::fleet_status(fleet, common.state_schema, name);
    if (as_json) {
        std::cout << fleet::fleet_status_json(fleet, targets).dump(2) << "\n";
    } else {
        std::cout << fleet::fleet_status_text(fleet, targets);
    }
    const bool all_read = std::all_of(targets.begin(), targets.end(),
                                      [](const fleet::TargetStatus& t) { return t.reachable; });
    return static_cast<int>(all_read ? ExitCode::ok : ExitCode::failed);
}

} // namespace pgphase::orchestrator::cli
