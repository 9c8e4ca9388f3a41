// Plans a UNIQUE (or PRIMARY KEY) constraint as a unique index built CONCURRENTLY at expand
// (writes go on; duplicates are enforced against from then on) and attached as the constraint
// with ADD CONSTRAINT ... USING INDEX at contract, a metadata-only change. Pure.
//
// Why attach at contract: the index already enforces uniqueness, so the constraint adds only
// its catalog entry; until contract, rollback is one DROP INDEX CONCURRENTLY (no ACCESS
// EXCLUSIVE lock), and the short ACCESS EXCLUSIVE lock the attach needs joins the others of
// contract. A primary key first needs its columns NOT NULL: a CHECK (col IS NOT NULL) NOT VALID
// at expand, VALIDATE in backfill, SET NOT NULL at contract (no scan, the check proves it).
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/canonical.hpp"
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

struct KeyedConstraint {
    const std::string& table;
    const std::string& name;
    const std::vector<std::string>& columns;
    bool primary;
};

// Checks and records the constraint; returns the table (nullptr without a catalog).
CatalogTable* check_against_catalog(OpContext& context, const KeyedConstraint& op) {
    CatalogTable* found = context.find_table(op.table);
    if (found == nullptr) {
        return nullptr;
    }
    for (const auto& column : op.columns) {
        context.find_column(*found, column, op.primary ? "primary key" : "unique");
    }
    refuse_taken_constraint_name(context, *found, op.name);
    refuse_taken_relation_name(context, op.name, "the constraint's index");
    if (op.primary && !found->primary_key.empty()) {
        std::string existing = "a primary key";
        for (const auto& constraint : found->constraints) {
            existing =
                constraint.type == 'p' ? "primary key \"" + constraint.name + "\"" : existing;
        }
        context.diagnostics.error(
            context.change.mark,
            "table \"" + op.table + "\" already has " + existing + " (" +
                quoted_columns(found->primary_key) + ")",
            "a table has one primary key: add_unique makes other columns unique; to replace the "
            "key, drop_constraint it in an earlier migration");
    }
    context.catalog->relations.push_back({context.plan.schema, op.name, 'i'});
    found->indexes.push_back({op.name, true, op.primary, true, op.columns, ""});
    CatalogConstraint added;
    added.name = op.name;
    added.type = op.primary ? 'p' : 'u';
    added.columns = op.columns;
    added.definition = std::string(op.primary ? "PRIMARY KEY" : "UNIQUE") + " (" +
                       quoted_columns(op.columns) + ")";
    found->constraints.push_back(added);
    // found->primary_key stays as it is: the key exists only from contract, and a backfill of a
    // later change runs before that.
    return found;
}

// Rows whose values are duplicated (NULLs are distinct, as in the index), grouped per value.
void describe_duplicates(Step& step, const QualifiedName& table, const KeyedConstraint& op,
                         const CatalogTable* found) {
    std::string not_null;
    for (const auto& column : op.columns) {
        not_null += not_null.empty() ? "" : " AND ";
        not_null += quote_ident(column) + " IS NOT NULL";
    }
    const std::string columns = quoted_columns(op.columns);
    const std::string groups = "SELECT " + columns + ", count(*) AS pgphase_count FROM " +
                               table.sql() + " WHERE " + not_null + " GROUP BY " + columns +
                               " HAVING count(*) > 1";
    step.violation_count_sql =
        "SELECT COALESCE(sum(pgphase_count), 0) FROM (" + groups + ") AS pgphase_duplicates";
    const std::vector<std::string> key = example_key(found);
    std::string same;
    for (const auto& column : op.columns) {
        same += " AND pgphase_row." + quote_ident(column) + " = pgphase_duplicates." +
                quote_ident(column);
    }
    step.violation_examples_sql =
        "SELECT " + describe_values_sql(op.columns, "pgphase_duplicates") +
        " || ' is held by ' || pgphase_duplicates.pgphase_count || ' rows: ' || (SELECT "
        "string_agg(pgphase_keys.k, ', ') FROM (SELECT " +
        describe_values_sql(key, "pgphase_row") + " AS k FROM " + table.sql() +
        " AS pgphase_row WHERE true" + same + " ORDER BY " + quoted_columns(key, "pgphase_row") +
        " LIMIT 5) AS pgphase_keys) FROM (" + groups +
        ") AS pgphase_duplicates ORDER BY pgphase_duplicates.pgphase_count DESC, " +
        quoted_columns(op.columns, "pgphase_duplicates") + " LIMIT 5";
}

void plan_keyed_constraint(OpContext& context, const KeyedConstraint& op) {
    check_not_replaced_earlier(context, op.table, op.columns);
    const CatalogTable* found = check_against_catalog(context, op);
    const QualifiedName table = context.table_name(op.table);
    const QualifiedName index{context.plan.schema, op.name};
    const std::string kind = op.primary ? "primary key" : "unique constraint";

    // Columns of a primary key that may hold NULL: NOT NULL through a validated check.
    std::vector<std::string> nullable;
    if (op.primary) {
        for (const auto& column : op.columns) {
            const CatalogColumn* known = found == nullptr ? nullptr : found->column(column);
            if (known == nullptr || (!known->not_null && !known->identity)) {
                nullable.push_back(column);
            }
        }
    }
    if (!nullable.empty()) {
        Step& checks = context.add_step(Phase::expand, op.table,
                                        "check that the " + kind + " columns of " + op.table +
                                            " hold no NULL (not valid yet)");
        checks.lock = LockLevel::access_exclusive;
        for (const auto& column : nullable) {
            const std::string check = not_null_check_name(op.table, column);
            checks.sql.push_back(add_not_null_check(table, column, check));
            checks.undo.push_back("ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " +
                                  quote_ident(check));
        }
    }

    Step& build = context.add_step(Phase::expand, op.table,
                                   "build unique index " + op.name + " on " + op.table +
                                       " concurrently for its " + kind);
    build.lock = LockLevel::share_update_exclusive;
    build.transactional = false;
    build.sql.push_back("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(op.name) +
                        " ON " + table.sql() + " (" + quoted_columns(op.columns) + ")");
    build.concurrent_index = ConcurrentIndex{index};
    build.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + index.sql());
    build.undo_transactional = false;
    describe_duplicates(build, table, op, found);

    for (const auto& column : nullable) {
        add_validate_not_null(context, op.table, column, not_null_check_name(op.table, column));
    }

    Step& attach =
        context.add_step(Phase::contract, op.table,
                         "attach index " + op.name + " as the " + kind + " of " + op.table);
    attach.lock = LockLevel::access_exclusive;
    for (const auto& column : nullable) {
        attach.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + quote_ident(column) +
                             " SET NOT NULL");
    }
    attach.sql.push_back("ALTER TABLE " + table.sql() + " ADD CONSTRAINT " + quote_ident(op.name) +
                         (op.primary ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                         quote_ident(op.name));
    for (const auto& column : nullable) {
        attach.sql.push_back("ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " +
                             quote_ident(not_null_check_name(op.table, column)));
    }
}

} // namespace

void plan_add_unique(OpContext& context, const AddUnique& op) {
    plan_keyed_constraint(context, {op.table, op.name, op.columns, false});
}

void plan_add_primary_key(OpContext& context, const AddPrimaryKey& op) {
    plan_keyed_constraint(context, {op.table, op.name, op.columns, true});
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

// add_unique and add_primary_key: {table, name, columns}.
template <typename Op>
std::optional<Operation> load_keyed_constraint(Loader& loader, const YAML::Node& node,
                                               const std::string& what, const std::string& suffix) {
    MapReader reader(loader, node, what, {"table", "name", "columns"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto columns = column_list(loader, reader, "columns", true);
    std::optional<std::string> name = reader.identifier("name", false);
    if (!name && table && columns) {
        // PostgreSQL's defaults: <table>_pkey, <table>_<columns>_key.
        name = suffix == "pkey" ? derived_name({*table, suffix})
                                : derived_name({*table, joined(*columns), suffix});
    }
    reader.finish();
    if (!table || !columns || !name) {
        return std::nullopt;
    }
    Op op;
    op.table = *table;
    op.name = *name;
    op.columns = *columns;
    return op;
}

std::optional<Operation> load_add_unique(Loader& loader, const YAML::Node& node) {
    return load_keyed_constraint<AddUnique>(loader, node, "add_unique", "key");
}

std::string canonical_add_unique(const AddUnique& op) {
    return "add_unique " + quote_ident(op.table) + " " + quote_ident(op.name) +
           canonical::columns(op.columns);
}

std::optional<Operation> load_add_primary_key(Loader& loader, const YAML::Node& node) {
    return load_keyed_constraint<AddPrimaryKey>(loader, node, "add_primary_key", "pkey");
}

std::string canonical_add_primary_key(const AddPrimaryKey& op) {
    return "add_primary_key " + quote_ident(op.table) + " " + quote_ident(op.name) +
           canonical::columns(op.columns);
}

void claim_add_primary_key(const AddPrimaryKey& op, NameClaims& claims) {
    claims.claim("relation:" + op.name, "index \"" + op.name + "\"");
    claims.claim("primary_key:" + op.table, "a primary key of \"" + op.table + "\"");
}

} // namespace

extern constinit const OperationUnit add_unique_unit =
    operation_unit<AddUnique, load_add_unique, plan_add_unique, canonical_add_unique,
                   claim_relation<AddUnique, &AddUnique::name, RelationKind::index>>("add_unique");
extern constinit const OperationUnit add_primary_key_unit =
    operation_unit<AddPrimaryKey, load_add_primary_key, plan_add_primary_key,
                   canonical_add_primary_key, claim_add_primary_key>("add_primary_key");

} // namespace pgphase::planners
