// Rewrites a plan's changes into expand -> backfill -> contract steps. Pure: it takes a
// catalog snapshot (or none) and returns data.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/diagnostic.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

struct PlanningOptions {
    std::string state_schema = "pgphase"; // where pgphase keeps its own functions
    // Plan the version schema (the new app version's views; needs a catalog). The orchestrator
    // turns it on; off, a planner call gets exactly the steps of the plan's operations.
    bool version_schema = false;
};

struct PlannedMigration {
    std::vector<Step> steps; // expand steps, then backfill, then contract; plan order in each
    Diagnostics diagnostics;
    // What could not be checked without a live catalog, in words.
    std::vector<std::string> unchecked;

    std::vector<const Step*> phase_steps(Phase phase) const;
};

// With `catalog == nullptr` the planner works from what the plan states and lists in
// `unchecked` what it could not verify; steps then may hold placeholders and are not runnable.
PlannedMigration plan_migration(const Plan& plan, const Catalog* catalog,
                                const PlanningOptions& options = {});

} // namespace pgphase::planners
