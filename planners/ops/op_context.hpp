// What each operation rewrite gets: the change, the plan around it, the catalog as earlier
// changes leave it, and places to put its steps and diagnostics. Each operation's rewrite
// takes one (planners/ops/registry.hpp). Pure.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/diagnostic.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"
#include "planners/plan/planner.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

class ChangesByTable; // planners/ops/earlier_changes.hpp

struct OpContext {
    const Plan& plan;
    const Change& change;
    int change_index;
    const PlanningOptions& options;
    Catalog* catalog; // nullptr without a database; ops update it for later changes
    Diagnostics& diagnostics;
    std::vector<std::string>& unchecked;
    std::vector<Step> steps;
    // The plan's changes by table, for the checks on earlier changes; nullptr: they scan all.
    const ChangesByTable* changes_by_table = nullptr;

    QualifiedName table_name(const std::string& table) const { return {plan.schema, table}; }

    // The table, or nullptr: reports an unknown table (with a suggestion) when there is a
    // catalog, and records that existence was not checked when there is none.
    CatalogTable* find_table(const std::string& table);

    // The column, or nullptr after reporting it unknown (with a suggestion).
    const CatalogColumn* find_column(const CatalogTable& table, const std::string& column,
                                     const std::string& role);

    // A step of this change, pre-filled with phase, table and change index.
    Step& add_step(Phase phase, const std::string& table, std::string summary);
};

} // namespace pgphase::planners
