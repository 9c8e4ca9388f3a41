// Plans DROP NOT NULL at expand: the new app version may write NULLs as soon as it runs, so the
// constraint must be gone before it starts; the old version never writes NULL and is not
// affected. Pure.
//
// Rollback puts NOT NULL back only if no NULL was written meanwhile, without a scan under
// ACCESS EXCLUSIVE, in two transactions (undo runs steps in reverse order):
//   step 2's undo: ADD CHECK (col IS NOT NULL) NOT VALID  -- no new NULL from here on
//   step 1's undo: VALIDATE (scans under SHARE UPDATE EXCLUSIVE; fails naming the rows that
//                  hold NULL), SET NOT NULL (uses the validated check), DROP the check.
// Step 1 has nothing to do going forward; it exists to carry that undo. Its VALIDATE runs only
// if step 2's undo added the check, so a crash between the two forward steps rolls back too.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/identifiers_unit.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// Checks the change against the catalog and records the column as nullable for later changes.
// Returns the table (nullptr when unknown).
const CatalogTable* check_against_catalog(OpContext& context, const DropNotNull& op) {
    CatalogTable* table = context.find_table(op.table);
    if (table == nullptr) {
        return nullptr;
    }
    const std::string name = "\"" + op.table + "\".\"" + op.column + "\"";
    const CatalogColumn* column = context.find_column(*table, op.column, "drop NOT NULL");
    if (column == nullptr) {
        return table;
    }
    if (std::find(table->primary_key.begin(), table->primary_key.end(), op.column) !=
        table->primary_key.end()) {
        context.diagnostics.error(context.change.mark,
                                  "column " + name + " is part of the primary key",
                                  "primary key columns are always NOT NULL; drop or change the "
                                  "primary key first");
    } else if (column->identity) {
        context.diagnostics.error(context.change.mark, "column " + name + " is an identity column",
                                  "identity columns are always NOT NULL; drop the identity first");
    } else if (!column->not_null) {
        context.diagnostics.error(context.change.mark, "column " + name + " is already nullable",
                                  "nothing to do; remove this change");
    }
    for (auto& candidate : table->columns) {
        if (candidate.name == op.column) {
            candidate.not_null = false;
        }
    }
    return table;
}

} // namespace

void plan_drop_not_null(OpContext& context, const DropNotNull& op) {
    check_not_replaced_earlier(context, op.table, {op.column});
    const QualifiedName table = context.table_name(op.table);
    const CatalogTable* found = check_against_catalog(context, op);
    const std::string check = not_null_check_name(op.table, op.column);
    const std::string column = quote_ident(op.column);
    const std::string alter = "ALTER TABLE " + table.sql() + " ";

    Step& restore = context.add_step(Phase::expand, op.table,
                                     "on rollback, restore NOT NULL on " + op.table + "." +
                                         op.column + " if no NULL was written (nothing now)");
    restore.lock = LockLevel::none;
    const std::string validate_if_added =
        "DO " + dollar_quote("BEGIN\n    IF EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE "
                             "conrelid = " +
                             quote_literal(table.sql()) + "::regclass AND conname = " +
                             quote_literal(check) + ") THEN\n        " + alter +
                             "VALIDATE CONSTRAINT " + quote_ident(check) + ";\n    END IF;\nEND\n");
    restore.undo = {validate_if_added, alter + "ALTER COLUMN " + column + " SET NOT NULL",
                    alter + "DROP CONSTRAINT IF EXISTS " + quote_ident(check)};
    // Asked when that VALIDATE fails: which rows hold the NULLs that block the rollback.
    restore.violation_count_sql =
        "SELECT count(*) FROM " + table.sql() + " WHERE " + column + " IS NULL";
    restore.violation_examples_sql =
        examples_by_key_sql(table, example_key(found), column + " IS NULL");

    Step& drop =
        context.add_step(Phase::expand, op.table, "allow NULLs in " + op.table + "." + op.column);
    drop.lock = LockLevel::access_exclusive;
    drop.sql.push_back(alter + "ALTER COLUMN " + column + " DROP NOT NULL");
    drop.undo.push_back(add_not_null_check(table, op.column, check));
}

// The operation's unit: its YAML fields (table, column), its part of the checksum, its
// registration.
extern constinit const OperationUnit drop_not_null_unit =
    identifiers_unit<DropNotNull, plan_drop_not_null, "drop_not_null", "table", "column">();

} // namespace pgphase::planners
