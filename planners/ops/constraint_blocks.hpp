// Pieces the constraint operations share: the VALIDATE step with examples of offending rows,
// and constraint lookups with "did you mean". Pure: they return SQL text built with the quoting
// helpers (column lists and row descriptions live in building_blocks).
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

// The constraint, or nullptr.
const CatalogConstraint* find_constraint(const CatalogTable& table, const std::string& name);

// The constraint, or nullptr after reporting it unknown (with a suggestion).
const CatalogConstraint* require_constraint(OpContext& context, const CatalogTable& table,
                                            const std::string& name);

// Reports `name` when a constraint of that name exists on `table`.
void refuse_taken_constraint_name(OpContext& context, const CatalogTable& table,
                                  const std::string& name);

// Reports `name` when a relation (table, index, view…) of that name exists in the schema.
void refuse_taken_relation_name(OpContext& context, const std::string& name,
                                const std::string& what);

// The backfill-phase step running VALIDATE CONSTRAINT, which scans under SHARE UPDATE EXCLUSIVE
// (reads and writes go on). `violators` is a WHERE condition (over the table's columns, or
// over alias pgphase_row) true for rows that break it; `shown` are the columns to show
// beside the key in examples.
Step& add_validate_constraint(OpContext& context, const std::string& table,
                              const std::string& constraint, const std::string& violators,
                              const std::vector<std::string>& shown, const CatalogTable* found);

} // namespace pgphase::planners
