// `pgphase undo NAME`: runs a completed migration backwards, phase by phase, as `advance` runs a
// plan; --dry-run prints the undo plan and the SQL it would run.
#include "orchestrator/cli/undo_command.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/undo.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/render.hpp"
#include "planners/undo/reverse_plan.hpp"

#include <iostream>
#include <unistd.h>

namespace pgphase::orchestrator::cli {

CLI::App* add_undo_command(CLI::App& app, UndoArgs& args) {
    auto* undo = app.add_subcommand(
        "undo", "run a completed migration backwards, as a phased migration <name>_undo, while "
                "contract's tombstones are kept");
    undo->add_option("name", args.migration, "the completed migration")->required();
    undo->add_option("--to", args.to, "run the undo up to expand, backfill or complete")
        ->check(CLI::IsMember({"expand", "backfill", "complete"}))
        ->capture_default_str();
    undo->add_option("--min-soak", args.min_soak,
                     "refuse the undo's contract until this long after its expand");
    undo->add_flag("--force", args.force,
                   "run the undo's contract despite the soak guard (recorded in the event log)");
    undo->add_flag("--dry-run", args.dry_run,
                   "print the undo plan and the SQL it would run; change nothing");
    undo->add_flag("--rollback", args.rollback,
                   "roll back an undo before its contract: what it brought back is kept as "
                   "tombstones again");
    return undo;
}

int undo_command(const Common& common, const UndoArgs& args) {
    const Dsn dsn = require_dsn(common);
    if (args.dry_run) {
        Session session(dsn, "pgphase undo " + args.migration);
        StateStore store(session, common.state_schema, actor(common));
        store.ensure();
        const UndoPlan undo = undo_plan(session, store, args.migration);
        planners::PlanningOptions options;
        options.state_schema = common.state_schema;
        options.version_schema = true;
        const planners::Catalog catalog =
            read_planning_catalog(session, undo.plan, common.state_schema);
        const auto planned = planners::plan_migration(undo.plan, &catalog, options);
        std::cerr << planned.diagnostics.to_string();
        std::cout << "# the undo plan" << (undo.resumed ? " (started already)" : "") << "\n"
                  << undo.plan.source_text << "\n"
                  << planners::render(undo.plan, planned, planners::RenderFormat::sql);
        return 0;
    }
    RunOptions options;
    options.state_schema = common.state_schema;
    options.actor = actor(common);
    options.min_soak = parse_min_soak(args.min_soak);
    options.force = args.force;
    options.progress_bar = ::isatty(STDERR_FILENO) != 0 && common.log_format == "text";
    if (args.rollback) {
        const PhaseReport undone = rollback_undo(dsn, args.migration, options);
        std::cout << planners::undo_name(args.migration) << ": rolled back (" << undone.steps_run
                  << " steps undone)\n";
        return 0;
    }
    const AdvanceTarget target = target_from_name(args.to).value_or(AdvanceTarget::complete);
    log::info("command.started", {{"command", "undo"},
                                  {"migration", args.migration},
                                  {"database", dsn.redacted()},
                                  {"actor", options.actor}});
    const UndoReport report = undo_migration(dsn, args.migration, target, options);
    std::cout << advance_line(report.name, report.advanced, target) << "\n";
    return 0;
}

} // namespace pgphase::orchestrator::cli
