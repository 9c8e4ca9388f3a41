// Shared pieces that operation rewrites compose: a BEFORE trigger that keeps columns in step
// during expand, NOT NULL through a NOT VALID check, comparisons that work for every type, and
// offending rows described by their key. Pure: they return SQL text, built with the quoting
// helpers.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/step.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/template.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

// `NEW."a"::text IS DISTINCT FROM OLD."a"::text`. Compared as text because some types (json,
// point, xml) have no equality operator, and a change in representation is still a change.
std::string changed(const std::string& lhs, const std::string& rhs);

// The tag a change's backfills set and its triggers skip (see backfill_setting).
std::string backfill_tag(const OpContext& context);

// A trigger WHEN condition that is false for the writes of this change's own backfills.
std::string not_backfill_write(const OpContext& context);

struct SyncTrigger {
    QualifiedName function; // in the state schema, keeping user schemas free of our objects
    std::string trigger;    // on the table
};

// The change's number, zero-padded to the width of the plan's last one (`07` of 12), so that
// names built from it sort in plan order: PostgreSQL fires a table's BEFORE triggers in name
// order, and a later change's trigger may build on what an earlier one's wrote.
std::string padded_change_number(const OpContext& context);

// The sync trigger of this change and its function: pgphase_<migration>_<number>.
SyncTrigger sync_trigger_names(const OpContext& context);

// CREATE FUNCTION + CREATE TRIGGER (BEFORE INSERT OR UPDATE, FOR EACH ROW) running `body`, a
// PL/pgSQL block that may assign NEW fields; search_path is pinned to the plan's schema.
std::vector<std::string> create_sync_trigger(const OpContext& context, const SyncTrigger& names,
                                             const QualifiedName& table, const Quoted& body);

std::vector<std::string> drop_sync_trigger(const SyncTrigger& names, const QualifiedName& table);

// The body of a trigger that fills `column` from `down` (an expression over the row) for writes
// that leave it out. INSERT: a NULL column was not written, so it is computed. UPDATE: a write
// that left the column alone is recomputed when `recompute` holds (e.g. an input of `down`
// changed: the derived value follows its source; "" = never); a write that changed the column
// keeps what it wrote. `before_return` runs last (a PL/pgSQL statement line, or empty).
Quoted fill_from_down_body(const std::string& column, const Expression& down,
                           const std::string& recompute, const Quoted& before_return);

// `changed(NEW.c, OLD.c)` for each column `down` reads, joined by OR ("" when it reads none).
std::string inputs_changed(const Expression& down);

// Contract's end of a column it replaces or drops. With the plan's keep_dropped (the default)
// the column is kept as a tombstone by the state store's keep_column() (docs/undo.md): renamed
// out of both app versions' sight, what would fail a new write relaxed and recorded, rows
// written from then on marked for undo. With keep_dropped: 0, DROP COLUMN.
std::string drop_or_keep_column(const OpContext& context, const QualifiedName& table,
                                const std::string& column);

// The same for a table: moved into the tombstone schema by keep_table(), or DROP TABLE.
std::string drop_or_keep_table(const OpContext& context, const QualifiedName& table);

// For a contract step's summary: " (kept 7d as a tombstone)", or "" with keep_dropped: 0.
std::string kept_note(const OpContext& context);

// Where keep_table() moves dropped tables: "<state schema>_dropped".
std::string tombstone_schema(const std::string& state_schema);

// Name of the CHECK (col IS NOT NULL) constraint that stands in for NOT NULL until contract.
std::string not_null_check_name(const std::string& table, const std::string& column);

std::string add_not_null_check(const QualifiedName& table, const std::string& column,
                               const std::string& check);

// The backfill-phase step that validates the check, with a count of violators for its error.
Step& add_validate_not_null(OpContext& context, const std::string& table, const std::string& column,
                            const std::string& check);

// Contract side: SET NOT NULL finds the validated check and skips the scan, then the check goes.
std::vector<std::string> promote_not_null_check(const QualifiedName& table,
                                                const std::string& column,
                                                const std::string& check);

} // namespace pgphase::planners

namespace pgphase::planners {

// "a", "b" — each quoted, optionally prefixed with `alias.`.
std::string quoted_columns(const std::vector<std::string>& columns, const std::string& alias = {});

// An SQL text expression rendering `columns` of a row as PostgreSQL's error details do:
// `(id, tenant)=(42, 7)`; NULL shows as NULL. `alias` qualifies the columns when non-empty.
std::string describe_values_sql(const std::vector<std::string>& columns,
                                const std::string& alias = {});

// The key that identifies a row in examples: the primary key, else ctid (always there).
std::vector<std::string> example_key(const CatalogTable* table);

// A query for Step::violation_examples_sql: up to 5 rows of `table` (aliased pgphase_row) for
// which `violators` holds, in key order, each as one text `(id)=(42)`, followed by
// `: (a, b)=(1, NULL)` when `shown` names columns.
std::string examples_by_key_sql(const QualifiedName& table, const std::vector<std::string>& key,
                                const std::string& violators,
                                const std::vector<std::string>& shown = {});

} // namespace pgphase::planners
