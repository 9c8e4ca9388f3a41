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
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

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

std::string fill_body(const AddColumn& op) {
    const std::string c = quote_ident(op.column.name);
    const std::string compute =
        "NEW." + c + " := (SELECT " + fill_expression(op) + " FROM (SELECT NEW.*) AS pgphase_row)";
    std::string inputs_changed;
    for (const auto& column : op.up->column_refs) {
        inputs_changed += inputs_changed.empty() ? "" : " OR ";
        inputs_changed += changed("NEW." + quote_ident(column), "OLD." + quote_ident(column));
    }
    std::string body = "BEGIN\n"
                       "    IF TG_OP = 'INSERT' THEN\n"
                       "        IF NEW." +
                       c +
                       " IS NULL THEN\n"
                       "            " +
                       compute +
                       ";\n"
                       "        END IF;\n"
                       "    ELSIF NOT (" +
                       changed("NEW." + c, "OLD." + c) +
                       ") THEN\n"
                       "        IF OLD." +
                       c + " IS NULL";
    if (!inputs_changed.empty()) {
        body += " OR " + inputs_changed;
    }
    body += " THEN\n"
            "            " +
            compute +
            ";\n"
            "        END IF;\n"
            "    END IF;\n"
            "    RETURN NEW;\n"
            "END\n";
    return body;
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
    table->columns.push_back({op.column.name, op.column.type.sql, false, std::nullopt});
}

} // namespace

void plan_add_column(OpContext& context, const AddColumn& op) {
    check_against_catalog(context, op);
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
        expand.undo.push_back(drop);
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

} // namespace pgphase::planners
