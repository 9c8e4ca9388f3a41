// The undo of a completed migration, as a plan: each change's reverse, last change first, with
// the tombstones contract kept brought back (docs/undo.md). A change without a reverse is
// refused here, before anything runs. Pure: the orchestrator reads the migration, its tombstones
// and the catalog, and runs the plan this writes like any other.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pgphase::planners {

// A tombstone of the migration, as the state store recorded it.
struct KeptTombstone {
    int change = 0;                // the change's number in the plan (1-based)
    std::string kind;              // "column" or "table"
    std::string name;              // the column or table
    Tombstone tombstone;           // where it is now, its marker and what it relaxed
    std::string purged_at;         // "" while kept
    std::int64_t rows_written = 0; // a column's rows written since contract (marked)
};

struct ReversePlan {
    std::string name;                  // of the undo migration
    std::string yaml;                  // the plan, when nothing is refused
    std::vector<std::string> refusals; // why a change cannot be undone, one per change
};

// "<migration>_undo", shortened with a hash to fit a migration name.
std::string undo_name(const std::string& migration);

// `steps` are the migration's, as start recorded them; `catalog` is the plan's schema now.
ReversePlan reverse_plan(const Plan& original, const std::vector<Step>& steps,
                         const std::vector<KeptTombstone>& tombstones, const Catalog& catalog);

} // namespace pgphase::planners
