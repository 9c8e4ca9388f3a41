// Loads the fleet file for a command and runs orchestrator/fleet on it.
#include "orchestrator/cli/fleet_command.hpp"

#include "orchestrator/cli/commands.hpp"
#include "orchestrator/engine/outcome.hpp"
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

} // namespace

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
    if (::isatty(STDERR_FILENO) != 0 && common.log_format == "text") {
        winsize size{};
        const bool known = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0;
        fleet::LiveBoard board(fleet, known ? size.ws_col - 1U : 79U);
        run.on_line = [&board](std::size_t index, const std::string& line, bool ended,
                               bool failed) { board.update(index, line, ended, failed); };
        runs = fleet::run_fleet(fleet, plan, run);
    } else {
        runs = fleet::run_fleet(fleet, plan, run);
    }
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
