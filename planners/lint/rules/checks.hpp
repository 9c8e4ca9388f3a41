// The checks, one file per family of rules. Each runs on every statement, before the
// statement is replayed into the schema model, and may keep facts for later statements.
// Pure.
#pragma once

#include "planners/lint/context.hpp"

#include <optional>

namespace pgphase::planners::lint {

void check_indexes(CheckContext& context);           // rules/indexes.cpp
void check_add_column(CheckContext& context);        // rules/add_column.cpp
void check_set_not_null(CheckContext& context);      // rules/set_not_null.cpp
void check_alter_column_type(CheckContext& context); // rules/alter_column_type.cpp
void check_renames(CheckContext& context);           // rules/renames.cpp
void check_drops(CheckContext& context);             // rules/drops.cpp
void check_constraints(CheckContext& context);       // rules/constraints.cpp
void check_dml(CheckContext& context);               // rules/dml.cpp
void check_lock_timeout(CheckContext& context);      // rules/lock_timeout.cpp
void check_maintenance(CheckContext& context);       // rules/maintenance.cpp
void check_style(CheckContext& context);             // rules/style.cpp
void check_probable_rename(CheckContext& context);   // rules/probable_rename.cpp
void check_identifiers(CheckContext& context);       // rules/identifiers.cpp

// After the last statement of a file (rules/probable_rename.cpp).
void finish_probable_rename(CheckContext& context);

// The table of an `ALTER TABLE` (not ALTER INDEX/VIEW/...), nullopt for other statements.
std::optional<TableName> altered_table(const CheckContext& context);

// The AlterTableCmd bodies of an `ALTER TABLE`; empty for other statements.
std::vector<json> alter_commands(const CheckContext& context);

} // namespace pgphase::planners::lint
