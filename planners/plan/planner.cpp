// Runs each change's rewrite in plan order against a working copy of the catalog (so a later
// change sees what an earlier one creates), then orders steps by phase. Pure.
#include "planners/plan/planner.hpp"

#include "planners/model/suggest.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/plan/table_renames.hpp"
#include "planners/plan/version_schema.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>

namespace pgphase::planners {

CatalogTable* OpContext::find_table(const std::string& table) {
    if (catalog == nullptr) {
        // Repeats are dropped once the plan is planned (plan_migration).
        unchecked.push_back("table \"" + plan.schema + "\".\"" + table +
                            "\" and its columns (no database: pass --dsn to check)");
        return nullptr;
    }
    for (auto& candidate : catalog->tables) {
        if (candidate.schema == plan.schema && candidate.name == table) {
            return &candidate;
        }
    }
    std::vector<std::string> names;
    for (const auto& candidate : catalog->tables) {
        if (candidate.schema == plan.schema) {
            names.push_back(candidate.name);
        }
    }
    diagnostics.error(change.mark, "table \"" + plan.schema + "\".\"" + table + "\" does not exist",
                      did_you_mean_hint(table, names));
    return nullptr;
}

const CatalogColumn* OpContext::find_column(const CatalogTable& table, const std::string& column,
                                            const std::string& role) {
    if (const auto* found = table.column(column)) {
        return found;
    }
    std::vector<std::string> names;
    for (const auto& candidate : table.columns) {
        names.push_back(candidate.name);
    }
    diagnostics.error(change.mark,
                      "column \"" + table.name + "\".\"" + column + "\" (" + role +
                          ") does not exist",
                      did_you_mean_hint(column, names));
    return nullptr;
}

Step& OpContext::add_step(Phase phase, const std::string& table, std::string summary) {
    Step step;
    step.phase = phase;
    step.table = table_name(table);
    step.summary = std::move(summary);
    step.change_index = change_index;
    steps.push_back(std::move(step));
    return steps.back();
}

std::vector<const Step*> PlannedMigration::phase_steps(Phase phase) const {
    std::vector<const Step*> out;
    for (const auto& step : steps) {
        if (step.phase == phase) {
            out.push_back(&step);
        }
    }
    return out;
}

namespace {

// Refuses a backfill the engine could only walk by ctid on a server too old for that, at plan
// time (and so at start), not once expand has run.
void check_walkable(const Catalog* catalog, const BackfillTask& task, const Change& change,
                    Diagnostics& diagnostics) {
    if (catalog == nullptr || catalog->server_version_num == 0 ||
        catalog->server_version_num >= tid_range_scan_version || !task.key.empty()) {
        return;
    }
    const CatalogTable* table = catalog->table(task.table.schema, task.table.name);
    if (table != nullptr && table->primary_key.empty()) {
        diagnostics.error(
            change.mark,
            keyless_walk_refusal(task.table, std::to_string(catalog->server_version_num)),
            "add a primary key to the table (in an earlier migration), or "
            "upgrade the server");
    }
}

} // namespace

PlannedMigration plan_migration(const Plan& as_written, const Catalog* catalog,
                                const PlanningOptions& options) {
    PlannedMigration planned;
    const std::optional<Plan> reaimed =
        with_renamed_tables_by_old_name(as_written, planned.diagnostics);
    const Plan& plan = reaimed ? *reaimed : as_written;
    std::optional<Catalog> working;
    if (catalog != nullptr) {
        working = *catalog;
    }
    std::vector<Step> all;
    const ChangesByTable changes_by_table(plan);
    for (std::size_t i = 0; i < plan.changes.size(); ++i) {
        const Change& change = plan.changes[i];
        OpContext context{plan,
                          change,
                          static_cast<int>(i),
                          options,
                          working ? &*working : nullptr,
                          planned.diagnostics,
                          planned.unchecked,
                          {},
                          &changes_by_table};
        unit_of(change.operation).plan(context, change.operation);
        for (auto& step : context.steps) {
            if (step.backfill) {
                step.backfill->trigger_tag = backfill_tag(context);
                check_walkable(catalog, *step.backfill, change, planned.diagnostics);
            }
            all.push_back(std::move(step));
        }
    }
    // Raw SQL may rename, retype or drop anything: views planned without knowing what it did
    // could reference what no longer exists, or show what the new version must not see.
    const auto raw_sql =
        std::find_if(plan.changes.begin(), plan.changes.end(),
                     [](const Change& c) { return std::holds_alternative<RawSql>(c.operation); });
    if (options.version_schema && raw_sql != plan.changes.end()) {
        planned.diagnostics.warning(
            raw_sql->mark, "no version schema for this migration: it has a sql change",
            "pgphase cannot know what raw SQL does to a table, so it builds no views; the new "
            "app version uses the base tables (or move the sql change to its own migration)");
    } else if (working && options.version_schema) {
        const bool has_backfill = std::any_of(
            all.begin(), all.end(), [](const Step& step) { return step.phase == Phase::backfill; });
        for (auto& step : version_schema_steps(plan, *working, has_backfill)) {
            all.push_back(std::move(step));
        }
    } else if (options.version_schema) {
        planned.unchecked.push_back("the version schema " +
                                    version_schema_name(plan.schema, plan.name) +
                                    " and its views (one per table, planned from the database)");
    }
    // Stable: plan order is kept inside each phase.
    std::stable_sort(all.begin(), all.end(), [](const Step& a, const Step& b) {
        return static_cast<int>(a.phase) < static_cast<int>(b.phase);
    });
    rename_tables_last(plan, all);
    planned.steps = std::move(all);
    // Each note once, in the order first noted (a set: a plan may name thousands of tables).
    std::unordered_set<std::string> noted;
    std::erase_if(planned.unchecked,
                  [&](const std::string& note) { return !noted.insert(note).second; });
    return planned;
}

} // namespace pgphase::planners
