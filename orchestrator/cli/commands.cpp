// Commands: plan, start, backfill, complete, rollback, advance, status, history. Outputs go to
// stdout, logs and errors to stderr; exit codes per docs/cli.md.
#include "orchestrator/cli/commands.hpp"

#include "orchestrator/cli/common.hpp"
#include "orchestrator/cli/convert_command.hpp"
#include "orchestrator/cli/lint_command.hpp"
#include "orchestrator/engine/history.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/plan/render.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace pgphase::orchestrator::cli {

namespace {

void print_error(const std::string& message, const std::string& hint) {
    std::cerr << "error: " << message << "\n";
    if (!hint.empty()) {
        std::cerr << "hint: " << hint << "\n";
    }
}

planners::Plan load(const std::string& file) {
    planners::LoadResult loaded = planners::load_plan_file(file);
    const std::string text = loaded.diagnostics.to_string();
    if (!loaded.plan) {
        std::cerr << text;
        throw CommandError(ExitCode::bad_input, "plan " + file + " has errors");
    }
    std::cerr << text; // warnings, if any
    return std::move(*loaded.plan);
}

int plan_command(const Common& common, const std::string& file, const std::string& format,
                 const std::string& fleet) {
    const planners::Plan plan = load(file);
    if (!fleet.empty()) {
        return fleet_plan_command(common, plan, format, fleet);
    }
    planners::PlanningOptions options;
    options.state_schema = common.state_schema;
    options.version_schema = true;
    planners::PlannedMigration planned;
    if (auto dsn = Dsn::from_option_or_env(common.dsn)) {
        Session session(*dsn, "pgphase plan " + plan.name);
        const planners::Catalog catalog = read_catalog(session, plan.schema);
        planned = planners::plan_migration(plan, &catalog, options);
    } else {
        planned = planners::plan_migration(plan, nullptr, options);
    }
    std::cerr << planned.diagnostics.to_string();
    if (planned.diagnostics.has_errors()) {
        return static_cast<int>(ExitCode::bad_input);
    }
    const planners::RenderFormat render_format = format == "sql"    ? planners::RenderFormat::sql
                                                 : format == "json" ? planners::RenderFormat::json
                                                                    : planners::RenderFormat::text;
    std::cout << planners::render(plan, planned, render_format);
    return 0;
}

int phase_command(const Common& common, const std::string& command, const std::string& file,
                  const PhaseArgs& args) {
    const planners::Plan plan = load(file);
    RunOptions options;
    options.state_schema = common.state_schema;
    options.actor = actor(common);
    options.command = command;
    options.max_batches = args.max_batches;
    options.min_soak = parse_min_soak(args.min_soak);
    options.force = args.force;
    options.prisma_migration =
        args.prisma_migration.empty() ? plan.prisma_migration : args.prisma_migration;
    options.progress_bar = ::isatty(STDERR_FILENO) != 0 && common.log_format == "text";
    if (!args.fleet.empty()) {
        return fleet_phase_command(common, command, plan, args, options);
    }
    if (args.format != "text") {
        throw CommandError(ExitCode::bad_input, "--format " + args.format + " needs --fleet",
                           "one database's advance prints one line; --format json is the "
                           "summary of a fleet run");
    }
    const Dsn dsn = require_dsn(common);
    log::info("command.started", {{"command", command},
                                  {"migration", plan.name},
                                  {"database", dsn.redacted()},
                                  {"actor", options.actor}});
    MigrationRunner runner(plan, dsn, options);
    PhaseReport report;
    if (command == "advance") {
        const AdvanceTarget target = target_from_name(args.to).value_or(AdvanceTarget::complete);
        const AdvanceReport advanced = runner.advance(target);
        report = advanced.work;
        std::cout << advance_line(plan.name, advanced, target) << "\n";
    } else if (command == "start") {
        report = runner.start();
    } else if (command == "backfill") {
        report = runner.backfill();
    } else if (command == "complete") {
        report = runner.complete();
    } else {
        report = runner.rollback();
    }
    log::info("command.done", {{"command", command},
                               {"migration", plan.name},
                               {"steps_run", std::to_string(report.steps_run)},
                               {"rows_backfilled", std::to_string(report.rows_backfilled)},
                               {"finished", report.finished ? "true" : "false"}});
    return 0;
}

int verify_command(const Common& common, const std::string& file, int sessions,
                   const std::string& whole_table_timeout) {
    const auto timeout = whole_table_timeout == "0" ? std::optional<planners::Milliseconds>(0)
                                                    : planners::parse_duration(whole_table_timeout);
    if (!timeout) {
        throw CommandError(ExitCode::bad_input,
                           "--whole-table-timeout \"" + whole_table_timeout +
                               "\" is not a duration",
                           "write a number and a unit (500ms, 10s, 1m), or 0 for batches only");
    }
    const VerifyOptions options{sessions, *timeout};
    const planners::Plan plan = load(file);
    const VerifyResult result =
        verify_migration(plan, require_dsn(common), common.state_schema, options);
    for (const auto& table : result.tables) {
        std::cout << table.table << ": " << table.rows_checked << " rows checked, "
                  << table.mismatches << " mismatch" << (table.mismatches == 1 ? "" : "es") << " ("
                  << table.summary << ")\n";
        for (const auto& key : table.samples) {
            std::cout << "  key " << key << "\n";
        }
        if (table.mismatches > static_cast<std::int64_t>(table.samples.size())) {
            std::cout << "  ... and "
                      << table.mismatches - static_cast<std::int64_t>(table.samples.size())
                      << " more\n";
        }
    }
    if (result.mismatches() > 0) {
        std::cerr << "error: " << result.mismatches()
                  << " rows do not hold what the plan's expressions give\n"
                  << "hint: before the backfill has finished that is expected; after it, rows the "
                     "new app version wrote itself may differ on purpose\n";
        return static_cast<int>(ExitCode::failed);
    }
    return 0;
}

} // namespace

planners::Milliseconds parse_min_soak(const std::string& text) {
    if (text.empty()) {
        return planners::Milliseconds(0);
    }
    const auto parsed = planners::parse_duration(text);
    if (!parsed) {
        throw CommandError(ExitCode::bad_input, "--min-soak \"" + text + "\" is not a duration",
                           "write a number and a unit: 500ms, 30s, 10m, 12h, 7d");
    }
    return *parsed;
}

Dsn require_dsn(const Common& common) {
    auto dsn = Dsn::from_option_or_env(common.dsn);
    if (!dsn) {
        throw CommandError(ExitCode::bad_input, "no database given",
                           "pass --dsn postgresql://user@host/db or set DATABASE_URL");
    }
    return *dsn;
}

CommandLine::CommandLine() {
    app.set_version_flag("--version", std::string("pgphase ") + PGPHASE_VERSION);
    app.require_subcommand(1);
    app.fallthrough(); // global options may follow the subcommand: pgphase start plan.yaml --dsn
                       // ...
    app.add_option("--dsn", common.dsn, "database URL (default: $DATABASE_URL)");
    app.add_option("--state-schema", common.state_schema, "schema of pgphase's state")
        ->capture_default_str();
    app.add_option("--log-format", common.log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--actor", common.actor,
                   "who runs this, for the event log (default: $PGPHASE_ACTOR, CI job id, $USER)");
    app.add_flag("-v,--verbose", common.verbose, "log every SQL statement");

    plan = app.add_subcommand("plan", "show the steps a plan turns into, with their locks");
    plan->add_option("file", file, "plan YAML")->required();
    plan->add_option("--format", format, "text, sql or json")
        ->check(CLI::IsMember({"text", "sql", "json"}));
    plan->add_option("--fleet", plan_fleet,
                     "a fleet file: plan against every target's catalog (docs/fleet.md)");

    for (const auto& [name, help] : std::vector<std::pair<std::string, std::string>>{
             {"start", "run expand: additive, non-blocking changes"},
             {"backfill", "bring existing rows into the new shape, in batches"},
             {"complete", "run contract: drop what the old app version needed"},
             {"rollback", "undo expand and any backfill; loses no row written meanwhile"},
             {"advance", "run whatever phases remain up to --to (default complete)"}}) {
        auto* sub = app.add_subcommand(name, help);
        sub->add_option("file", file, "plan YAML")->required();
        if (name == "backfill") {
            sub->add_option("--max-batches", phase_args.max_batches,
                            "stop after this many batches (a canary run); rerun to continue");
        }
        if (name == "advance") {
            sub->add_option("--to", phase_args.to, "expand, backfill or complete")
                ->check(CLI::IsMember({"expand", "backfill", "complete"}))
                ->capture_default_str();
        }
        if (name == "advance" || name == "rollback") {
            sub->add_option("--fleet", phase_args.fleet,
                            "a fleet file: run on every target in it, in waves (docs/fleet.md)");
            sub->add_option("--format", phase_args.format, "with --fleet: text or json summary")
                ->check(CLI::IsMember({"text", "json"}));
        }
        if (name == "complete" || name == "advance") {
            sub->add_option("--min-soak", phase_args.min_soak,
                            "refuse complete until this long after expand (and contract_after)");
            sub->add_flag("--force", phase_args.force,
                          "complete despite the soak guard (recorded in the event log)");
            sub->add_option("--prisma-migration", phase_args.prisma_migration,
                            "record this Prisma migration directory as applied when complete");
        }
        phases.push_back(sub);
    }
    status = app.add_subcommand("status", "where each migration stands (from the state store)");
    status->add_option("name", status_name, "one migration (default: all)");
    status->add_flag("--json", status_as_json, "machine-readable output");
    status->add_option("--fleet", status_fleet,
                       "a fleet file: the status of every target in it, in place of --dsn");
    history = app.add_subcommand(
        "history", "every phase transition, override and pause: who and when (state store)");
    history->add_option("name", history_name, "one migration (default: all)");
    history->add_flag("--json", history_as_json, "machine-readable output");
    history->add_flag("--steps", history_steps, "also list each step done or undone");
    lint = add_lint_command(app, lint_args);
    convert = add_convert_command(app, convert_args);
    deploy = add_deploy_command(app, deploy_args);
    serve = add_serve_command(app, serve_args);
    doctor = add_doctor_command(app, doctor_args);
    purge = add_purge_command(app, purge_args);
    undo = add_undo_command(app, undo_args);

    verify = app.add_subcommand(
        "verify", "check in batches that every row holds what the plan's expressions give");
    verify->add_option("file", file, "plan YAML")->required();
    verify
        ->add_option("--sessions", verify_sessions,
                     "read a table in batches with this many sessions at once "
                     "(PostgreSQL 14+; default 2, as PostgreSQL's own parallel scans)")
        ->check(CLI::Range(1, 16));
    verify->add_option("--whole-table-timeout", verify_whole_table,
                       "first read each table in one statement, which PostgreSQL may run in "
                       "parallel, for at most this long (default 10s; 0: batches only)");

    // Runtime control of a running backfill, from another shell (through the state store).
    pause = app.add_subcommand("pause", "pause a running backfill after its batch in flight");
    pause->add_option("name", control_name, "migration name")->required();
    resume = app.add_subcommand("resume", "let a paused backfill go on");
    resume->add_option("name", control_name, "migration name")->required();
    tune = app.add_subcommand("tune", "change a running backfill's pace");
    tune->add_option("name", control_name, "migration name")->required();
    tune->add_option("--max-rows-per-second", tune_rows_per_second, "0 = no cap");
    tune->add_option("--max-batch-size", tune_batch_size, "rows per batch at most");
    tune->add_option("--target-batch-time", tune_batch_time, "e.g. 200ms");
}

int run(int argc, char** argv) {
    CommandLine cli;
    try {
        cli.app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = cli.app.exit(e);
        return code == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
    }
    log::init(cli.common.log_format == "json" ? log::Format::json : log::Format::text,
              cli.common.verbose);

    try {
        if (cli.plan->parsed()) {
            return plan_command(cli.common, cli.file, cli.format, cli.plan_fleet);
        }
        if (cli.lint->parsed()) {
            return lint_command(cli.common, cli.lint_args);
        }
        if (cli.convert->parsed()) {
            return convert_command(cli.convert_args);
        }
        if (cli.deploy->parsed()) {
            return deploy_command(cli.common, cli.deploy_args);
        }
        if (cli.serve->parsed()) {
            return serve_command(cli.common, cli.serve_args);
        }
        if (cli.doctor->parsed()) {
            return doctor_command(cli.common, cli.doctor_args);
        }
        if (cli.purge->parsed()) {
            return purge_command(cli.common, cli.purge_args);
        }
        if (cli.undo->parsed()) {
            return undo_command(cli.common, cli.undo_args);
        }
        for (auto* sub : cli.phases) {
            if (sub->parsed()) {
                return phase_command(cli.common, sub->get_name(), cli.file, cli.phase_args);
            }
        }
        if (cli.verify->parsed()) {
            return verify_command(cli.common, cli.file, cli.verify_sessions,
                                  cli.verify_whole_table);
        }
        if (cli.pause->parsed() || cli.resume->parsed() || cli.tune->parsed()) {
            const Controls tuning = tuning_from(
                cli.tune_rows_per_second >= 0 ? std::optional(cli.tune_rows_per_second)
                                              : std::nullopt,
                cli.tune_batch_size >= 0 ? std::optional(cli.tune_batch_size) : std::nullopt,
                cli.tune_batch_time);
            const std::string command = cli.pause->parsed()    ? "pause"
                                        : cli.resume->parsed() ? "resume"
                                                               : "tune";
            control_backfill(require_dsn(cli.common), cli.common.state_schema, actor(cli.common),
                             cli.control_name, command, tuning);
            std::cout << cli.control_name << ": " << command << " recorded; a running backfill "
                      << "applies it within a second\n";
            return 0;
        }
        if (cli.history->parsed()) {
            const auto events = read_history(require_dsn(cli.common), cli.common.state_schema,
                                             cli.history_name, cli.history_steps);
            if (cli.history_as_json) {
                std::cout << history_json(events).dump(2) << "\n";
            } else {
                std::cout << history_text(events);
            }
            return 0;
        }
        if (cli.status->parsed() && !cli.status_fleet.empty()) {
            return fleet_status_command(cli.common, cli.status_fleet, cli.status_name,
                                        cli.status_as_json);
        }
        if (cli.status->parsed()) {
            const Dsn dsn = require_dsn(cli.common);
            if (cli.status_as_json) {
                std::cout << status_json(dsn, cli.common.state_schema, cli.status_name).dump(2)
                          << "\n";
            } else {
                std::cout << status_text(dsn, cli.common.state_schema, cli.status_name);
            }
            return 0;
        }
    } catch (const CommandError& e) {
        print_error(e.what(), e.hint());
        return static_cast<int>(e.code());
    } catch (const DatabaseError& e) {
        print_error(std::string(e.what()) +
                        (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")"),
                    e.connection_lost() ? "check the connection settings and that the server is up"
                                        : "");
        return static_cast<int>(ExitCode::failed);
    } catch (const std::exception& e) {
        print_error(std::string("unexpected: ") + e.what(), "");
        return static_cast<int>(ExitCode::failed);
    } catch (...) {
        print_error("unexpected failure", "");
        return static_cast<int>(ExitCode::failed);
    }
    return static_cast<int>(ExitCode::bad_input);
}

} // namespace pgphase::orchestrator::cli
