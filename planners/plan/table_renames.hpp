// A plan that renames a table names it by its new name in its later changes, as SQL run in
// order does (Prisma's `ALTER TABLE "A" RENAME TO "B"` followed by `ALTER TABLE "B" RENAME
// CONSTRAINT ...`). Yet the base table keeps its old name until contract renames it, and
// every step of a later change runs before that. So the planner plans those changes against
// the old name, and runs each table rename after every other contract step. Pure.
#pragma once

#include "planners/model/diagnostic.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <optional>
#include <vector>

namespace pgphase::planners {

// The plan with every later change's reference to a renamed table's new name replaced by its
// old one (its own table, a foreign key's target), or nullopt when no change needs it. Refuses,
// into `diagnostics`, what cannot be planned so: a later change naming the old name (after the
// rename there is no such table), a `sql` change naming the new one (its text cannot be
// re-aimed), and a drop_table of the renamed table.
std::optional<Plan> with_renamed_tables_by_old_name(const Plan& plan, Diagnostics& diagnostics);

// Moves the contract steps of the plan's rename_table changes after its other contract steps,
// keeping the order within each group. `steps` are ordered by phase.
void rename_tables_last(const Plan& plan, std::vector<Step>& steps);

} // namespace pgphase::planners
