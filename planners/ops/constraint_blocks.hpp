// Pieces the constraint operations share: column lists, the SQL that describes an offending
// row by its key for a failed VALIDATE or unique build, and constraint lookups with "did you
// mean". Pure: they return SQL text built with the quoting helpers.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/ops/op_context.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

// "a", "b" — each quoted, optionally prefixed with `alias.`.
std::string quoted_columns(const std::vector<std::string>& columns, const std::string& alias = {});

// An SQL text expression rendering `columns` of a row as PostgreSQL's error details do:
// `(id, tenant)=(42, 7)`; NULL shows as NULL. `alias` qualifies the columns when non-empty.
std::string describe_values_sql(const std::vector<std::string>& columns,
                                const std::string& alias = {});

// The key that identifies a row in examples: the primary key, else ctid (always there).
std::vector<std::string> example_key(const CatalogTable* table);

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
