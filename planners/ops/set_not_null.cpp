// Plans SET NOT NULL without a scan under ACCESS EXCLUSIVE: CHECK (col IS NOT NULL) NOT VALID,
// VALIDATE in backfill (reads and writes go on), SET NOT NULL at contract, which finds the
// validated check and skips its own scan. Pure.
//
// Without `up` the check is added at expand: it rejects writes that leave the column NULL from
// then on, and VALIDATE fails on existing NULLs with their count and keys. With `up`, a trigger
// fills the column from `up` for writes that leave it NULL (an old app version that never sets
// it) from expand on, a backfill fixes existing NULLs, and only then is the check added and
// validated, so no other change's backfill trips over a NULL not yet fixed.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <optional>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// The value a row gets: its own when set, else `up`.
std::string fixed_value(const SetNotNull& op) {
    return "COALESCE(" + quote_ident(op.column) + ", (" + op.up->sql + "))";
}

Quoted fill_body(const SetNotNull& op) {
    // clang-format off
    return render_sql(R"sql(BEGIN
    IF NEW.{column} IS NULL THEN
        NEW.{column} := (SELECT ({up}) FROM (SELECT NEW.*) AS pgphase_row);
    END IF;
    RETURN NEW;
END
)sql",
        {{"column", ident(op.column)}, {"up", expression_sql(*op.up)}});
    // clang-format on
}

// An earlier change of the plan that leaves the column NOT NULL at contract through its own
// check of the same name (add_column with nullable: false, rename_column of a NOT NULL column),
// which the working catalog shows as nullable until then.
std::optional<int> made_not_null_earlier(const OpContext& context, const CatalogTable& table,
                                         const SetNotNull& op) {
    for (int i = 0; i < context.change_index; ++i) {
        const Operation& earlier = context.plan.changes[static_cast<std::size_t>(i)].operation;
        if (const auto* add = std::get_if<AddColumn>(&earlier)) {
            if (add->table == op.table && add->column.name == op.column && !add->column.nullable) {
                return i;
            }
        } else if (const auto* rename = std::get_if<RenameColumn>(&earlier)) {
            const CatalogColumn* from = table.column(rename->from);
            if (rename->table == op.table && rename->to == op.column && from != nullptr &&
                from->not_null) {
                return i;
            }
        }
    }
    return std::nullopt;
}

// Checks the change against the catalog and records the column as NOT NULL for later changes.
// Returns the table (nullptr when unknown).
const CatalogTable* check_against_catalog(OpContext& context, const SetNotNull& op,
                                          const std::string& check) {
    CatalogTable* table = context.find_table(op.table);
    if (table == nullptr) {
        return nullptr;
    }
    const std::string name = "\"" + op.table + "\".\"" + op.column + "\"";
    if (op.up) {
        for (const auto& column : op.up->column_refs) {
            context.find_column(*table, column, "read by up");
        }
        if (table->primary_key.empty()) {
            context.diagnostics.error(
                context.change.mark, "table \"" + op.table + "\" has no primary key",
                "the backfill that applies \"up\" walks the primary key; tables without one are "
                "not supported yet (drop \"up\" and fix the NULLs yourself)");
        }
    }
    if (std::any_of(table->constraints.begin(), table->constraints.end(),
                    [&](const CatalogConstraint& c) { return c.name == check; })) {
        context.diagnostics.error(context.change.mark,
                                  "constraint \"" + check + "\" already exists on table \"" +
                                      op.table + "\"",
                                  "pgphase names its NOT NULL check so; is an earlier migration "
                                  "on this column still in flight? finish or roll it back first");
    }
    const CatalogColumn* column = context.find_column(*table, op.column, "set NOT NULL");
    if (column == nullptr) {
        return table;
    }
    if (column->not_null) {
        context.diagnostics.error(context.change.mark, "column " + name + " is already NOT NULL",
                                  "nothing to do; remove this change");
        return table;
    }
    if (auto earlier = made_not_null_earlier(context, *table, op)) {
        context.diagnostics.error(context.change.mark,
                                  "column " + name + " is made NOT NULL by change " +
                                      std::to_string(*earlier + 1) + " of this plan already",
                                  "nothing to do; remove this change");
        return table;
    }
    for (auto& candidate : table->columns) {
        if (candidate.name == op.column) {
            candidate.not_null = true;
        }
    }
    return table;
}

} // namespace

void plan_set_not_null(OpContext& context, const SetNotNull& op) {
    check_not_replaced_earlier(context, op.table, {op.column});
    const QualifiedName table = context.table_name(op.table);
    const std::string check = not_null_check_name(op.table, op.column);
    const CatalogTable* found = check_against_catalog(context, op, check);
    const SyncTrigger fill = sync_trigger_names(context);

    const std::string drop_check =
        "ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " + quote_ident(check);
    if (!op.up) {
        Step& expand = context.add_step(Phase::expand, op.table,
                                        "forbid new NULLs in " + op.table + "." + op.column +
                                            " with a NOT VALID check");
        expand.lock = LockLevel::access_exclusive;
        expand.sql.push_back(add_not_null_check(table, op.column, check));
        expand.undo.push_back(drop_check);
    } else {
        Step& expand = context.add_step(Phase::expand, op.table,
                                        "fill " + op.table + "." + op.column +
                                            " from up for writes that leave it NULL");
        expand.lock = LockLevel::access_exclusive;
        expand.sql = create_sync_trigger(context, fill, table, fill_body(op));
        expand.undo = drop_sync_trigger(fill, table);

        Step& backfill = context.add_step(
            Phase::backfill, op.table, "fill NULLs of " + op.table + "." + op.column + " from up");
        backfill.kind = StepKind::backfill;
        backfill.lock = LockLevel::row_exclusive;
        backfill.backfill =
            BackfillTask{table,
                         {},
                         {{op.column, fixed_value(op)}},
                         quote_ident(op.column) + " IS NULL AND (" + op.up->sql + ") IS NOT NULL"};

        // Only now: a NOT VALID check is still tested on every UPDATE, so at expand it would
        // fail the backfills of other changes in the plan (which skip this trigger) on rows
        // whose NULL is not fixed yet (pgroll #659). Until here the trigger keeps NULLs out.
        Step& forbid = context.add_step(Phase::backfill, op.table,
                                        "forbid new NULLs in " + op.table + "." + op.column +
                                            " with a NOT VALID check");
        forbid.lock = LockLevel::access_exclusive;
        forbid.sql.push_back(add_not_null_check(table, op.column, check));
        forbid.undo.push_back(drop_check);
    }

    Step& validate = add_validate_not_null(context, op.table, op.column, check);
    validate.violation_examples_sql =
        examples_by_key_sql(table, example_key(found), quote_ident(op.column) + " IS NULL");

    Step& contract = context.add_step(Phase::contract, op.table,
                                      "make " + op.table + "." + op.column +
                                          " NOT NULL through the validated check");
    contract.lock = LockLevel::access_exclusive;
    if (op.up) {
        contract.sql = drop_sync_trigger(fill, table);
    }
    for (auto& statement : promote_not_null_check(table, op.column, check)) {
        contract.sql.push_back(std::move(statement));
    }
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_set_not_null(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "set_not_null", {"table", "column", "up"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const TableColumn target = read_table_column(reader);
    auto up = reader.expression("up", false);
    reader.finish();
    if (!target.table || !target.column) {
        return std::nullopt;
    }
    return SetNotNull{*target.table, *target.column, up};
}

std::string canonical_set_not_null(const SetNotNull& op) {
    return "set_not_null " + quote_ident(op.table) + " " + quote_ident(op.column) +
           " up=" + (op.up ? quote_literal(op.up->sql) : std::string("-"));
}

} // namespace

extern constinit const OperationUnit set_not_null_unit =
    operation_unit<SetNotNull, load_set_not_null, plan_set_not_null, canonical_set_not_null>(
        "set_not_null");

} // namespace pgphase::planners
