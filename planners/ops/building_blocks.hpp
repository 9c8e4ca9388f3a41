// Shared pieces that operation rewrites compose: a BEFORE trigger that keeps columns in step
// during expand, NOT NULL through a NOT VALID check, and comparisons that work for every type.
// Pure: they return SQL text, built with the quoting helpers.
#pragma once

#include "planners/model/step.hpp"
#include "planners/ops/op_context.hpp"

#include <string>

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

SyncTrigger sync_trigger_names(const OpContext& context);

// CREATE FUNCTION + CREATE TRIGGER (BEFORE INSERT OR UPDATE, FOR EACH ROW) running `body`, a
// PL/pgSQL block that may assign NEW fields; search_path is pinned to the plan's schema.
std::vector<std::string> create_sync_trigger(const OpContext& context, const SyncTrigger& names,
                                             const QualifiedName& table, const std::string& body);

std::vector<std::string> drop_sync_trigger(const SyncTrigger& names, const QualifiedName& table);

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

// A query returning up to 5 rows of `table` matching `predicate`, each as one text naming the
// row by `key` (`id=42`, `tenant=3, id=7`; `ctid=(0,1)` without a key), for
// Step::violation_examples_sql.
std::string rows_by_key(const QualifiedName& table, const std::vector<std::string>& key,
                        const std::string& predicate);

} // namespace pgphase::planners
