// `pgphase undo`: runs a completed migration backwards as a phased migration of its own
// (`<name>_undo`), bringing back what its contract kept (docs/undo.md). The undo plan is written
// once, from the migration's stored plan and steps, its tombstones and the live catalog, and
// stored like any plan at the undo's start; later runs continue it from the state store.
#pragma once

#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/pipeline.hpp"
#include "orchestrator/pg/dsn.hpp"
#include "planners/model/plan.hpp"

#include <string>

namespace pgphase::orchestrator {

struct UndoPlan {
    planners::Plan plan;  // the undo migration's plan
    bool resumed = false; // read back from the state store (the undo had started)
};

// The undo plan of migration `name`: read back when its undo is in flight or done, else written
// now and checked against the catalog. A migration that is not complete, a change without a
// reverse and an undo plan the planner refuses are CommandError(refused), with every reason,
// before anything runs.
UndoPlan undo_plan(Session& session, StateStore& store, const std::string& name);

struct UndoReport {
    std::string name; // of the undo migration
    AdvanceReport advanced;
};

// Plans the undo (undo_plan) and drives its phases up to `target`, as `advance` does, with the
// same guards (`options.min_soak`, `options.force`) and exit codes.
UndoReport undo_migration(const Dsn& dsn, const std::string& name, AdvanceTarget target,
                          RunOptions options);

// Rolls back the undo of `name` while it is before its contract: the columns and tables it
// brought back are tombstones again, as after the migration's contract. Refused (exit 3) when
// no undo has started.
PhaseReport rollback_undo(const Dsn& dsn, const std::string& name, RunOptions options);

} // namespace pgphase::orchestrator
