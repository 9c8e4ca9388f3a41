// Plans ADD COLUMN so that no form of it rewrites or scans the table under an exclusive lock.
// Pure. Three shapes:
//  - no `up` and a constant (or no) default: one instant ALTER TABLE (PostgreSQL 11+ stores
//    the default in the catalog), NOT NULL included;
//  - no `up` and a non-constant default: add the column bare, SET DEFAULT for new rows,
//    backfill existing rows with the default expression;
//  - `up`: add the column bare; a trigger fills it from `up` for writes of the old app version
//    (a NULL on INSERT, or an UPDATE that changed an input of `up` but not the column);
//    backfill fills existing rows. NOT NULL goes through CHECK ... NOT VALID, VALIDATE in
//    backfill and SET NOT NULL at contract, so no step scans under ACCESS EXCLUSIVE.
// Column constraints follow the same rule: `check` and `references` are added NOT VALID at
// expand (new writes are checked at once) and validated after the backfill; `unique` is a
// concurrent unique index built after the backfill, attached as a constraint at contract.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/canonical.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/table_constraints.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// The value a row should get: `up`, falling back to the default when `up` yields NULL.
std::string fill_expression(const AddColumn& op) {
    std::string value = op.up ? "(" + op.up->sql + ")" : "(" + op.column.default_value->sql + ")";
    if (op.up && op.column.default_value) {
        value = "COALESCE(" + value + ", (" + op.column.default_value->sql + "))";
    }
    return value;
}

Quoted fill_body(const AddColumn& op) {
    std::string inputs_changed;
    for (const auto& column : op.up->column_refs) {
        inputs_changed += inputs_changed.empty() ? "" : " OR ";
        inputs_changed += changed("NEW." + quote_ident(column), "OLD." + quote_ident(column));
    }
    // clang-format off
    return render_sql(R"sql(BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.{column} IS NULL THEN
            NEW.{column} := (SELECT {fill} FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    ELSIF NOT (NEW.{column}::text IS DISTINCT FROM OLD.{column}::text) THEN
        IF OLD.{column} IS NULL{or_an_input_changed} THEN
            NEW.{column} := (SELECT {fill} FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    END IF;
    RETURN NEW;
END
)sql",
        {{"column", ident(op.column.name)},
         {"fill", Quoted::assembled(fill_expression(op))},
         {"or_an_input_changed", Quoted::assembled(inputs_changed.empty() ? "" : " OR " + inputs_changed)}});
    // clang-format on
}

void check_against_catalog(OpContext& context, const AddColumn& op) {
    CatalogTable* table = context.find_table(op.table);
    if (table == nullptr) {
        return;
    }
    if (table->column(op.column.name) != nullptr) {
        context.diagnostics.error(context.change.mark, "column \"" + op.table + "\".\"" +
                                                           op.column.name + "\" already exists");
        return;
    }
    if (op.up) {
        for (const auto& column : op.up->column_refs) {
            context.find_column(*table, column, "read by up");
        }
    }
    if (op.column.check) {
        for (const auto& column : op.column.check->column_refs) {
            if (column != op.column.name) {
                context.find_column(*table, column, "read by check");
            }
        }
    }
    table->columns.push_back({op.column.name, op.column.type.sql, false, std::nullopt});
}

struct ColumnConstraints {
    std::string check; // constraint names; empty when the column has none
    std::string foreign_key;
    std::string unique;
    std::vector<std::string> referenced;                 // the foreign key's target columns
    std::vector<std::string> key = example_key(nullptr); // names rows in violation examples
};

ColumnConstraints column_constraints(OpContext& context, const AddColumn& op) {
    ColumnConstraints out;
    if (op.column.check) {
        out.check = constraint_name(op.table, {op.column.name}, "check");
    }
    if (op.column.references) {
        out.foreign_key = constraint_name(op.table, {op.column.name}, "fkey");
        out.referenced = resolve_reference(context, *op.column.references, 1, nullptr);
    }
    if (op.column.unique) {
        out.unique = constraint_name(op.table, {op.column.name}, "key");
    }
    if (context.catalog == nullptr) {
        return out;
    }
    CatalogTable* table = nullptr;
    for (auto& candidate : context.catalog->tables) {
        if (candidate.schema == context.plan.schema && candidate.name == op.table) {
            table = &candidate;
        }
    }
    if (table == nullptr) {
        return out;
    }
    out.key = example_key(table);
    for (const auto& name : {out.check, out.unique}) {
        if (!name.empty() && (context.catalog->relation(context.plan.schema, name) != nullptr ||
                              std::any_of(table->constraints.begin(), table->constraints.end(),
                                          [&](const auto& c) { return c.name == name; }))) {
            context.diagnostics.error(context.change.mark,
                                      "constraint or relation \"" + name + "\" already exists",
                                      "add the constraint separately under another name");
        }
    }
    if (!out.check.empty()) {
        table->constraints.push_back({out.check, 'c', false, {op.column.name}, ""});
    }
    if (!out.unique.empty()) {
        table->indexes.push_back({out.unique, true, false, true, {op.column.name}, ""});
        table->constraints.push_back({out.unique, 'u', true, {op.column.name}, ""});
        context.catalog->relations.push_back({context.plan.schema, out.unique, 'i'});
    }
    if (!out.foreign_key.empty()) {
        record_foreign_key(*context.catalog, context.plan.schema, op.table, out.foreign_key,
                           {op.column.name}, *op.column.references, out.referenced);
    }
    return out;
}

// Expand side: CHECK and FOREIGN KEY added NOT VALID: new writes are checked, no scan.
void add_not_valid_constraints(OpContext& context, const AddColumn& op,
                               const ColumnConstraints& constraints, Step& expand) {
    const QualifiedName table = context.table_name(op.table);
    if (op.column.check) {
        expand.sql.push_back("ALTER TABLE " + table.sql() + " ADD CONSTRAINT " +
                             quote_ident(constraints.check) + " CHECK (" + op.column.check->sql +
                             ") NOT VALID");
    }
    if (op.column.references) {
        expand.sql.push_back("ALTER TABLE " + table.sql() + " ADD CONSTRAINT " +
                             quote_ident(constraints.foreign_key) + " " +
                             foreign_key_clause(context, {op.column.name}, *op.column.references,
                                                constraints.referenced) +
                             " NOT VALID");
        expand.summary += "; briefly SHARE ROW EXCLUSIVE on " + op.column.references->table;
    }
}

// Backfill side, after the column is filled: VALIDATE (reads and writes go on), then the
// unique index, built concurrently; contract attaches it as the constraint, metadata only.
void add_constraint_steps(OpContext& context, const AddColumn& op,
                          const ColumnConstraints& constraints) {
    const QualifiedName table = context.table_name(op.table);
    if (op.column.check) {
        Step& validate =
            context.add_step(Phase::backfill, op.table, "validate check " + constraints.check);
        validate.lock = LockLevel::share_update_exclusive;
        validate.sql.push_back("ALTER TABLE " + table.sql() + " VALIDATE CONSTRAINT " +
                               quote_ident(constraints.check));
        validate.violation_count_sql = check_violation_count_sql(table, op.column.check->sql);
        validate.violation_examples_sql = check_violation_examples_sql(
            table, op.column.check->sql, constraints.key, op.column.check->column_refs);
    }
    if (op.column.references) {
        Step& validate =
            context.add_step(Phase::backfill, op.table,
                             "validate foreign key " + constraints.foreign_key + " (ROW SHARE on " +
                                 op.column.references->table + ")");
        validate.lock = LockLevel::share_update_exclusive;
        validate.sql.push_back("ALTER TABLE " + table.sql() + " VALIDATE CONSTRAINT " +
                               quote_ident(constraints.foreign_key));
        validate.violation_count_sql = orphan_count_sql(
            context, table, {op.column.name}, *op.column.references, constraints.referenced);
        validate.violation_examples_sql =
            orphan_examples_sql(context, table, {op.column.name}, *op.column.references,
                                constraints.referenced, constraints.key);
    }
    if (op.column.unique) {
        const QualifiedName index{context.plan.schema, constraints.unique};
        Step& build = context.add_step(Phase::backfill, op.table,
                                       "build unique index " + constraints.unique + " on " +
                                           op.table + " concurrently");
        build.lock = LockLevel::share_update_exclusive;
        build.transactional = false;
        build.sql.push_back("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " +
                            quote_ident(constraints.unique) + " ON " + table.sql() + " (" +
                            quote_ident(op.column.name) + ")");
        build.concurrent_index = ConcurrentIndex{index};
        build.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + index.sql());
        build.undo_transactional = false;
        build.violation_count_sql = duplicate_count_sql(table, {op.column.name});
        build.violation_examples_sql = duplicate_examples_sql(table, {op.column.name});

        Step& attach = context.add_step(Phase::contract, op.table,
                                        "make " + constraints.unique + " a unique constraint");
        attach.lock = LockLevel::access_exclusive;
        attach.sql.push_back("ALTER TABLE " + table.sql() + " ADD CONSTRAINT " +
                             quote_ident(constraints.unique) + " UNIQUE USING INDEX " +
                             quote_ident(constraints.unique));
    }
}

} // namespace

void plan_add_column(OpContext& context, const AddColumn& op) {
    check_against_catalog(context, op);
    const ColumnConstraints constraints = column_constraints(context, op);
    // A constraint on a column an earlier change replaces goes with it (reading it in `up` is
    // fine: the old column is there until contract).
    if (op.column.check) {
        check_not_replaced_earlier(context, op.table, op.column.check->column_refs);
    }
    if (op.column.references) {
        check_not_replaced_earlier(context, op.column.references->table, constraints.referenced);
    }
    const QualifiedName table = context.table_name(op.table);
    const std::string column = quote_ident(op.column.name);
    const std::string add =
        "ALTER TABLE " + table.sql() + " ADD COLUMN " + column + " " + op.column.type.sql;
    const std::string drop = "ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " + column;

    if (!op.up && (!op.column.default_value || op.column.default_value->is_constant)) {
        Step& expand = context.add_step(Phase::expand, op.table,
                                        "add column " + op.column.name + " to " + op.table);
        expand.lock = LockLevel::access_exclusive;
        std::string statement = add;
        if (op.column.default_value) {
            statement += " DEFAULT " + op.column.default_value->sql;
        }
        if (!op.column.nullable) {
            statement += " NOT NULL";
        }
        expand.sql.push_back(statement);
        add_not_valid_constraints(context, op, constraints, expand);
        expand.undo.push_back(drop);
        add_constraint_steps(context, op, constraints);
        return;
    }

    const std::string check = not_null_check_name(op.table, op.column.name);
    const SyncTrigger sync = sync_trigger_names(context);
    Step& expand = context.add_step(
        Phase::expand, op.table,
        "add column " + op.column.name + " to " + op.table +
            (op.up ? ", filled from up for old-version writes" : ", default for new rows"));
    expand.lock = LockLevel::access_exclusive;
    expand.sql.push_back(add);
    if (!op.up) {
        expand.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + column +
                             " SET DEFAULT " + op.column.default_value->sql);
    }
    if (!op.column.nullable) {
        expand.sql.push_back(add_not_null_check(table, op.column.name, check));
    }
    add_not_valid_constraints(context, op, constraints, expand);
    if (op.up) {
        for (auto& statement : create_sync_trigger(context, sync, table, fill_body(op))) {
            expand.sql.push_back(std::move(statement));
        }
        expand.undo = drop_sync_trigger(sync, table);
    }
    expand.undo.push_back(drop);

    Step& backfill =
        context.add_step(Phase::backfill, op.table,
                         "fill " + op.table + "." + op.column.name + " for existing rows");
    backfill.kind = StepKind::backfill;
    backfill.lock = LockLevel::row_exclusive;
    const std::string value = fill_expression(op);
    backfill.backfill = BackfillTask{
        table, {}, {{op.column.name, value}}, column + " IS NULL AND " + value + " IS NOT NULL"};

    if (!op.column.nullable) {
        add_validate_not_null(context, op.table, op.column.name, check);
    }
    add_constraint_steps(context, op, constraints);

    if (!op.up && op.column.nullable) {
        return; // nothing left to tighten or remove
    }
    Step& contract = context.add_step(Phase::contract, op.table,
                                      "finish column " + op.table + "." + op.column.name);
    contract.lock = LockLevel::access_exclusive;
    if (op.up) {
        contract.sql = drop_sync_trigger(sync, table);
        if (op.column.default_value) {
            contract.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + column +
                                   " SET DEFAULT " + op.column.default_value->sql);
        }
    }
    if (!op.column.nullable) {
        for (auto& statement : promote_not_null_check(table, op.column.name, check)) {
            contract.sql.push_back(std::move(statement));
        }
    }
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_add_column(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "add_column", {"table", "column", "up"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    std::optional<ColumnDefinition> column;
    if (YAML::Node column_node = reader.require("column"); column_node.IsDefined()) {
        column = load_column(loader, column_node);
    }
    auto up = reader.expression("up", false);
    reader.finish();
    if (!table || !column) {
        return std::nullopt;
    }
    if (!column->nullable && !column->default_value && !up) {
        loader.error(node,
                     "add_column of NOT NULL column \"" + column->name +
                         R"(" needs a default or an "up" expression)",
                     "existing rows need a value: give \"default\" (a constant is instant) or "
                     "\"up\" (filled by backfill)");
        return std::nullopt;
    }
    return AddColumn{*table, *column, up};
}

std::string canonical_add_column(const AddColumn& op) {
    std::string out = "add_column " + quote_ident(op.table) + " " + quote_ident(op.column.name) +
                      " " + quote_literal(op.column.type.sql) +
                      (op.column.nullable ? " null" : " not_null");
    out += " default=" + (op.column.default_value ? quote_literal(op.column.default_value->sql)
                                                  : std::string("-"));
    out += " up=" + (op.up ? quote_literal(op.up->sql) : std::string("-"));
    out += canonical::column_constraints(op.column); // empty for plans without them: checksums hold
    return out;
}

void claim_add_column(const AddColumn& op, NameClaims& claims) {
    claims.claim("column:" + op.table + "." + op.column.name,
                 "column \"" + op.table + "\".\"" + op.column.name + "\"");
}

} // namespace

extern constinit const OperationUnit add_column_unit =
    operation_unit<AddColumn, load_add_column, plan_add_column, canonical_add_column,
                   claim_add_column>("add_column");

} // namespace pgphase::planners
