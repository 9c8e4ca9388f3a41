// `pgphase undo`: see undo.hpp. The reverse of each change is planners/undo/reverse_plan.cpp's;
// this file reads what it needs from the database and runs the result.
#include "orchestrator/engine/undo.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/step_json.hpp"
#include "planners/sql/quote.hpp"
#include "planners/undo/reverse_plan.hpp"

namespace pgphase::orchestrator {

namespace {

planners::Plan load_text(const std::string& text, const std::string& file) {
    planners::LoadResult loaded = planners::load_plan_text(text, file);
    if (!loaded.plan) {
        throw CommandError(ExitCode::failed,
                           file + " does not load:\n" + loaded.diagnostics.to_string(),
                           "this is a bug in pgphase undo: please report it with the text above");
    }
    return std::move(*loaded.plan);
}

bool drop_without_down(const planners::Plan& plan, int change) {
    if (change < 1 || change > static_cast<int>(plan.changes.size())) {
        return false;
    }
    const auto* drop = std::get_if<planners::DropColumn>(
        &plan.changes[static_cast<std::size_t>(change - 1)].operation);
    return drop != nullptr && !drop->down;
}

std::vector<planners::KeptTombstone> kept_tombstones(Session& session, StateStore& store,
                                                     const planners::Plan& original) {
    std::vector<planners::KeptTombstone> out;
    for (const auto& record : store.tombstones(true)) {
        if (record.migration != original.name) {
            continue;
        }
        planners::KeptTombstone kept;
        kept.change = record.change;
        kept.kind = record.kind;
        kept.name = record.name;
        kept.purged_at = record.purged_at;
        kept.tombstone.name = record.tombstone;
        kept.tombstone.marker = record.kind == "column" ? record.marker : "";
        kept.tombstone.schema = record.kind == "table" ? record.schema : "";
        for (const auto& object : record.relaxed) {
            kept.tombstone.relaxed.push_back({object.value("kind", ""), object.value("name", ""),
                                              object.value("definition", "")});
        }
        // Only a drop_column without `down` needs the count: its marked rows have no value.
        if (record.purged_at.empty() && !record.marker.empty() && !record.table.empty() &&
            drop_without_down(original, record.change)) {
            kept.rows_written =
                std::stoll(session
                               .query("SELECT count(*) FROM " + record.current_table().sql() +
                                      " WHERE " + planners::quote_ident(record.marker) + " IS TRUE")
                               .text(0, 0));
        }
        out.push_back(std::move(kept));
    }
    return out;
}

std::string bulleted(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        out += "\n  " + line;
    }
    return out;
}

// Records on the migration itself that it was undone, once its undo is complete.
UndoReport finish_undo(const Dsn& dsn, const std::string& name, const planners::Plan& plan,
                       const RunOptions& options, UndoReport report) {
    if (report.advanced.to == phase_name(MigrationPhase::completed) &&
        report.advanced.from != report.advanced.to) {
        Session session(dsn, "pgphase undo " + name);
        StateStore store(session, options.state_schema, options.actor);
        store.set_command("undo");
        store.event(name, "migration.undone", {{"undo", plan.name}});
    }
    return report;
}

} // namespace

UndoPlan undo_plan(Session& session, StateStore& store, const std::string& name) {
    const auto original = store.find(name);
    if (!original) {
        throw CommandError(ExitCode::bad_input,
                           "no migration named \"" + name + "\" in the state store",
                           "pgphase status lists the migrations");
    }
    const std::string undo = planners::undo_name(name);
    if (const auto started = store.find(undo);
        started && started->phase != MigrationPhase::rolled_back) {
        return {load_text(started->plan_text, "undo of " + name), true};
    }
    if (original->phase != MigrationPhase::completed) {
        const bool before_contract = original->phase != MigrationPhase::contracting &&
                                     original->phase != MigrationPhase::rolled_back &&
                                     original->phase != MigrationPhase::rolling_back;
        throw CommandError(ExitCode::refused,
                           "migration \"" + name + "\" is " + phase_name(original->phase) +
                               "; undo runs a completed migration backwards",
                           before_contract ? "before contract, pgphase rollback undoes it"
                           : original->phase == MigrationPhase::contracting
                               ? "finish it with pgphase complete first"
                               : "there is nothing to undo");
    }
    const planners::Plan plan = load_text(original->plan_text, name + " (from the state store)");
    const auto steps = planners::steps_from_json(original->steps);
    const auto tombstones = kept_tombstones(session, store, plan);
    planners::Catalog catalog = read_catalog(session, plan.schema);
    const planners::ReversePlan reverse = planners::reverse_plan(plan, steps, tombstones, catalog);
    if (!reverse.refusals.empty()) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + name +
                               "\" cannot be undone:" + bulleted(reverse.refusals),
                           "nothing was changed; write a new migration to change the schema back");
    }
    planners::Plan undo_plan = load_text(reverse.yaml, "undo of " + name);
    undo_plan.source_file = name;
    // Checked here, so that a reverse the planner refuses stops before anything runs.
    planners::PlanningOptions options;
    options.state_schema = store.schema();
    options.version_schema = true;
    const planners::Catalog working = read_planning_catalog(session, undo_plan, store.schema());
    const auto planned = planners::plan_migration(undo_plan, &working, options);
    if (planned.diagnostics.has_errors()) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + name +
                               "\" cannot be undone; its undo plan has "
                               "errors:\n" +
                               planned.diagnostics.to_string() + "the undo plan:\n" + reverse.yaml,
                           "nothing was changed; write a new migration to change the schema back");
    }
    return {std::move(undo_plan), false};
}

UndoReport undo_migration(const Dsn& dsn, const std::string& name, AdvanceTarget target,
                          RunOptions options) {
    UndoReport report;
    planners::Plan plan;
    {
        Session session(dsn, "pgphase undo " + name);
        StateStore store(session, options.state_schema, options.actor);
        store.set_command("undo");
        store.ensure();
        UndoPlan undo = undo_plan(session, store, name);
        plan = std::move(undo.plan);
        if (!undo.resumed) {
            log::info("undo.planned", {{"migration", name}, {"undo", plan.name}});
        }
    }
    report.name = plan.name;
    options.command = "undo";
    MigrationRunner runner(plan, dsn, options);
    if (runner.phase() == phase_name(MigrationPhase::rolled_back)) {
        // `undo` again after `undo --rollback` starts it afresh, from the plan written now.
        const PhaseReport started = runner.start();
        report.advanced = runner.advance(target);
        report.advanced.from = phase_name(MigrationPhase::rolled_back);
        report.advanced.work.steps_run += started.steps_run;
        return finish_undo(dsn, name, plan, options, std::move(report));
    }
    report.advanced = runner.advance(target);
    return finish_undo(dsn, name, plan, options, std::move(report));
}

PhaseReport rollback_undo(const Dsn& dsn, const std::string& name, RunOptions options) {
    planners::Plan plan;
    {
        Session session(dsn, "pgphase undo " + name);
        StateStore store(session, options.state_schema, options.actor);
        store.ensure();
        const auto started = store.find(planners::undo_name(name));
        if (!started) {
            throw CommandError(ExitCode::refused,
                               "no undo of migration \"" + name + "\" has started",
                               "pgphase status lists the migrations");
        }
        plan = load_text(started->plan_text, "undo of " + name);
    }
    options.command = "undo";
    MigrationRunner runner(plan, dsn, options);
    return runner.rollback();
}

} // namespace pgphase::orchestrator
