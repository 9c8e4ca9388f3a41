// What the restore operations of an undo plan share (restore_column, restore_table, and
// change_type's `restore`): reading a tombstone from YAML, rebuilding online what contract's
// keep_column()/keep_table() relaxed, and the kept column's marker. Pure.
#pragma once

#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"
#include "planners/ops/op_context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace pgphase::planners {

class Loader;

// The `tombstone:` (or change_type's `restore:`) mapping: name, marker (columns), schema
// (tables), relaxed. Each relaxed definition is parsed: one constraint, one CREATE INDEX, one
// expression.
std::optional<Tombstone> load_tombstone(Loader& loader, const YAML::Node& node,
                                        const std::string& what, bool table);

std::string canonical_tombstone(const Tombstone& tombstone);

// How the relaxed objects come back, without a long lock or a scan under one:
//  - CHECK and FOREIGN KEY: added NOT VALID in the expand step, validated in backfill;
//  - NOT NULL: a NOT VALID check in expand, validated in backfill, SET NOT NULL at contract;
//  - an index: built CONCURRENTLY in backfill; a UNIQUE constraint: its index built so, then
//    ADD CONSTRAINT ... USING INDEX at contract;
//  - a default: set in the expand step;
//  - anything else (an EXCLUDE, a DEFERRABLE UNIQUE): added at contract, with a warning.
// The backfill-phase steps are added to `context` now (after its data backfill, if any); the
// statements for its expand and contract steps are returned.
struct RelaxedRebuild {
    std::vector<std::string> expand;      // in the expand step's transaction
    std::vector<std::string> expand_undo; // undoes `expand`
    std::vector<std::string> contract;    // in the contract step's transaction
};
RelaxedRebuild rebuild_relaxed(OpContext& context, const std::string& table,
                               const std::vector<RelaxedObject>& relaxed);

// Adds `rebuild.expand` to the expand step, and its undo (newest first) before `step.undo`.
void attach_to_expand(Step& step, const RelaxedRebuild& rebuild);

// The kept column's marker trigger stops (expand) and comes back (expand's undo); at contract
// the marker goes with its trigger and function.
std::string stop_marking(const QualifiedName& table, const std::string& marker);
std::vector<std::string> resume_marking(const OpContext& context, const QualifiedName& table,
                                        const std::string& marker);
std::vector<std::string> drop_marker(const OpContext& context, const QualifiedName& table,
                                     const std::string& marker);

// Records, in the contract step's transaction, that the tombstone is back (as purged, by this
// undo), so status, purge and doctor no longer count it.
std::string mark_restored(const OpContext& context, const std::string& kind,
                          const QualifiedName& table, const std::string& tombstone);

} // namespace pgphase::planners
