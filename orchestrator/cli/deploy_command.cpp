// `pgphase deploy`: options to DeployOptions, the run, the report on stdout, the exit code.
#include "orchestrator/cli/deploy_command.hpp"

#include "orchestrator/cli/fleet_command.hpp"
#include "orchestrator/deploy/deployer.hpp"
#include "orchestrator/log/log.hpp"

#include <iostream>
#include <unistd.h>

namespace pgphase::orchestrator::cli {

CLI::App* add_deploy_command(CLI::App& app, DeployArgs& args) {
    auto* deploy = app.add_subcommand(
        "deploy", "bring the database up to a migrations folder, risky migrations in phases");
    deploy->add_option("dir", args.dir, "a Prisma migrations folder or a folder of *.sql files")
        ->required();
    deploy->add_option("--to", args.to, "expand (before the app rollout) or complete (after)")
        ->check(CLI::IsMember({"expand", "complete"}))
        ->capture_default_str();
    deploy->add_flag("--dry-run", args.dry_run,
                     "change nothing; say what each pending migration would run, and why");
    deploy->add_option("--format", args.format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    deploy->add_option("--min-soak", args.min_soak,
                       "contract a phased migration only this long after its expand");
    deploy->add_flag("--force", args.force,
                     "contract despite the soak guard (recorded in the event log)");
    deploy->add_option("--fleet", args.fleet,
                       "a fleet file: deploy to every target in it, in waves (docs/fleet.md)");
    return deploy;
}

int deploy_command(const Common& common, const DeployArgs& args) {
    DeployOptions options;
    options.target = args.to == "expand" ? DeployTarget::expand : DeployTarget::complete;
    options.dry_run = args.dry_run;
    options.force = args.force;
    options.state_schema = common.state_schema;
    options.actor = actor(common);
    options.progress_bar = ::isatty(STDERR_FILENO) != 0 && common.log_format == "text";
    options.min_soak = parse_min_soak(args.min_soak);
    if (!args.fleet.empty()) {
        return fleet_deploy_command(common, args, options);
    }
    const Dsn dsn = require_dsn(common);
    log::info("command.started",
              {{"command", "deploy"}, {"folder", args.dir}, {"database", dsn.redacted()}});
    const DeployReport report = deploy(args.dir, dsn, options);
    if (args.format == "json") {
        std::cout << deploy_json(report).dump(2) << "\n";
    } else {
        std::cout << deploy_text(report);
    }
    return report.exit_code;
}

} // namespace pgphase::orchestrator::cli
