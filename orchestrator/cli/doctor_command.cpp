// `pgphase doctor`: options to DoctorOptions, the findings on stdout, then --fix's repairs (each
// announced before it runs) and the exit code.
#include "orchestrator/cli/doctor_command.hpp"

#include "orchestrator/doctor/doctor.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/load/plan_loader.hpp"

#include <iostream>

namespace pgphase::orchestrator::cli {

namespace findings = planners::doctor;

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args) {
    auto* doctor = app.add_subcommand(
        "doctor", "find what crashes, killed sessions and hand edits left in the database");
    doctor->add_option("--format", args.format, "text, json or github")
        ->check(CLI::IsMember({"text", "json", "github"}))
        ->capture_default_str();
    doctor->add_flag("--fix", args.fix,
                     "repair the safe findings (INVALID indexes, pgphase's orphaned objects, "
                     "interrupted rollbacks); says each before doing it");
    doctor->add_flag("--dry-run", args.dry_run, "with --fix: only say what it would do");
    doctor->add_option("--migrations", args.migrations,
                       "a Prisma migrations folder or a folder of *.sql files: also report where "
                       "the live schema differs from what it produces (drift)");
    doctor
        ->add_option("--stalled-after", args.stalled_after,
                     "report a backfill paused or without progress for this long")
        ->capture_default_str();
    return doctor;
}

int doctor_command(const Common& common, const DoctorArgs& args) {
    const auto stalled_after = planners::parse_duration(args.stalled_after);
    if (!stalled_after) {
        throw CommandError(ExitCode::bad_input,
                           "--stalled-after \"" + args.stalled_after + "\" is not a duration",
                           "write a number and a unit: 30m, 12h, 7d");
    }
    if (args.dry_run && !args.fix) {
        throw CommandError(ExitCode::bad_input, "--dry-run goes with --fix",
                           "pgphase doctor alone changes nothing");
    }
    const Dsn dsn = require_dsn(common);
    doctor::DoctorOptions options;
    options.state_schema = common.state_schema;
    options.actor = actor(common);
    options.stalled_after = *stalled_after;
    options.migrations_dir = args.migrations;
    options.database_url = dsn.text();
    Session session(dsn, "pgphase doctor");
    const auto found = doctor::examine(session, options);
    if (args.format == "json") {
        std::cout << findings::render_json(found, dsn.redacted()).dump(2) << "\n";
    } else if (args.format == "github") {
        std::cout << findings::render_github(found);
    } else {
        std::cout << findings::render_text(found, dsn.redacted());
    }
    if (!args.fix || found.empty()) {
        return found.empty() ? 0 : static_cast<int>(ExitCode::failed);
    }
    // What --fix does goes to stderr, so that stdout stays the report in every format.
    if (args.dry_run) {
        for (const auto& finding : found) {
            if (finding.fixable()) {
                std::cerr << "doctor --fix would run: " << findings::repair_text(finding.repair)
                          << "\n";
            }
        }
        return static_cast<int>(ExitCode::failed);
    }
    const auto result = doctor::repair(session, dsn, found, options, [](const std::string& text) {
        std::cerr << "doctor --fix: " << text << "\n";
    });
    for (const auto& failure : result.failures) {
        std::cerr << "error: doctor --fix could not repair " << failure << "\n";
    }
    const std::size_t left = found.size() - result.repaired.size();
    std::cerr << "doctor --fix: repaired " << result.repaired.size() << " of " << found.size()
              << (left == 0 ? "" : "; rerun pgphase doctor for what is left") << "\n";
    if (result.lock_gave_up) {
        return static_cast<int>(ExitCode::lock_gave_up);
    }
    return left == 0 ? 0 : static_cast<int>(ExitCode::failed);
}

} // namespace pgphase::orchestrator::cli
