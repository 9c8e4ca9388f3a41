// Carrying a column's indexes and constraints over to the column that replaces it (a shadow
// column of a new type, or the new side of a rename), so that dropping the old column at
// contract loses nothing. Shared by change_type and rename_column. Pure.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/ops/op_context.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

// `sql` (an index or constraint definition as PostgreSQL prints it, or a deparsed expression)
// with every reference to column `from` written as `to`. Function names, type names after
// `::`, qualified names, keywords and string literals are left alone.
std::string replace_column_refs(const std::string& sql, const std::string& from,
                                const std::string& to);

// `sql` with every reference to `column` replaced by the SQL text `replacement`.
std::string substitute_column_refs(const std::string& sql, const std::string& column,
                                   const std::string& replacement);

// The name pgphase gives an object it builds to take `name`'s place at contract.
std::string replacement_name(const std::string& name);

// Reports what cannot be carried over: primary key, exclusion constraints, and foreign keys of
// other tables that reference the column (DROP COLUMN would need CASCADE). `action` says
// what is refused ("change the type of", "rename"). Returns false after reporting.
bool check_carry_over(OpContext& context, const CatalogTable& table, const std::string& column,
                      const std::string& action);

// Adds backfill-phase steps (call after the step that copies the data) that build every
// index using `from` again on `to` CONCURRENTLY and add every CHECK and foreign key using it
// again NOT VALID, then VALIDATE. Returns the contract statements, to run after `from` is
// dropped, that give them their original names (a unique constraint through USING INDEX).
std::vector<std::string> carry_over_dependents(OpContext& context, const CatalogTable& table,
                                               const std::string& from, const std::string& to);

} // namespace pgphase::planners
