// Plans DROP COLUMN: hidden from the new app version at expand (its view leaves the column out),
// dropped at contract. Until then the old version still reads and writes the column, so rows the
// new version writes must hold a value the old one accepts: `down` computes it from the remaining
// columns, through a trigger that fills the column only when the write did not set it (decided
// from what the write changed, never from search_path). Rollback drops the trigger and keeps
// every row: the column was never touched. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
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

bool uses(const std::vector<std::string>& columns, const std::string& column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

void check_against_catalog(OpContext& context, const DropColumn& op, CatalogTable& table) {
    const CatalogColumn* column = context.find_column(table, op.column, "dropped");
    if (column == nullptr) {
        return;
    }
    const std::string name = "column \"" + op.table + "\".\"" + op.column + "\"";
    if (uses(table.primary_key, op.column)) {
        context.diagnostics.error(context.change.mark, name + " is part of the primary key",
                                  "dropping a primary key column is not supported; add a new "
                                  "key first");
    }
    if (column->not_null && !column->default_expression && !column->identity &&
        !column->generated && !op.down) {
        context.diagnostics.error(
            context.change.mark, name + " is NOT NULL without a default, and no \"down\" is given",
            "until contract the old app version still reads the column and every row needs a "
            "value: give \"down\", an expression over the remaining columns (e.g. down: "
            "\"lower(email_address)\"), or drop NOT NULL in an earlier migration");
    }
    if (op.down) {
        for (const auto& ref : op.down->column_refs) {
            if (context.find_column(table, ref, "read by down") != nullptr &&
                uses(table.new_version.hidden_columns, ref)) {
                context.diagnostics.error(
                    op.down->mark,
                    R"("down" reads column ")" + op.table + "\".\"" + ref +
                        "\", which an earlier change of this plan hides or drops",
                    "the new app version's writes run \"down\" until contract, when that "
                    "column is gone: read the column under its new name, or drop this column "
                    "in a later migration");
            }
        }
    }
    // Other tables' foreign keys on this column would make DROP COLUMN fail at contract.
    for (const auto& constraint : table.constraints) {
        if (constraint.type != 'f' || !uses(constraint.columns, op.column)) {
            continue;
        }
        const auto target = referenced_table(constraint.definition);
        const bool referenced_here = target && target->second == op.table &&
                                     (target->first.empty() || target->first == table.schema);
        if (referenced_here) {
            context.diagnostics.error(context.change.mark,
                                      name + " is referenced by foreign key \"" + constraint.name +
                                          "\"",
                                      "drop that foreign key in an earlier change or migration");
        }
    }
    for (const auto& index : table.indexes) {
        if (!index.primary && uses(index.columns, op.column) && index.columns.size() > 1) {
            context.diagnostics.warning(context.change.mark, "index \"" + index.name +
                                                                 "\" also covers other columns "
                                                                 "and is dropped with " +
                                                                 name + " at contract");
        }
    }
    for (const auto& constraint : table.constraints) {
        if ((constraint.type == 'c' || constraint.type == 'u') &&
            uses(constraint.columns, op.column) && constraint.columns.size() > 1) {
            context.diagnostics.warning(context.change.mark,
                                        "constraint \"" + constraint.name +
                                            "\" also covers other columns and is dropped with " +
                                            name + " at contract");
        }
    }
    table.new_version.hidden_columns.push_back(op.column);
}

} // namespace

void plan_drop_column(OpContext& context, const DropColumn& op) {
    if (check_not_replaced_earlier(context, op.table, {op.column})) {
        check_not_changed_earlier(context, op.table, op.column);
    }
    const QualifiedName table = context.table_name(op.table);
    if (CatalogTable* found = context.find_table(op.table)) {
        check_against_catalog(context, op, *found);
    } else if (context.catalog == nullptr && !op.down) {
        context.unchecked.push_back("that \"" + op.table + "\".\"" + op.column +
                                    R"(" is nullable or has a default (no "down" given))");
    }

    const SyncTrigger sync = sync_trigger_names(context);
    if (op.down) {
        Step& expand =
            context.add_step(Phase::expand, op.table,
                             "fill " + op.table + "." + op.column +
                                 " from down for new-version writes until it is dropped");
        expand.lock = LockLevel::share_row_exclusive; // CREATE TRIGGER
        expand.sql = create_sync_trigger(
            context, sync, table,
            fill_from_down_body(op.column, *op.down, inputs_changed(*op.down), Quoted()));
        expand.undo = drop_sync_trigger(sync, table);
    }

    Step& contract =
        context.add_step(Phase::contract, op.table,
                         "drop column " + op.table + "." + op.column + kept_note(context));
    contract.lock = LockLevel::access_exclusive;
    if (op.down) {
        contract.sql = drop_sync_trigger(sync, table);
    }
    contract.sql.push_back(drop_or_keep_column(context, table, op.column));
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_drop_column(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_column", {"table", "column", "down"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto column = reader.identifier("column", true);
    auto down = reader.expression("down", false);
    reader.finish();
    if (!table || !column) {
        return std::nullopt;
    }
    if (down && std::find(down->column_refs.begin(), down->column_refs.end(), *column) !=
                    down->column_refs.end()) {
        loader.error(reader.get("down"),
                     R"("down" reads column ")" + *column + "\", the column being dropped",
                     "\"down\" computes the dropped column from the columns that remain");
        return std::nullopt;
    }
    return DropColumn{*table, *column, down};
}

std::string canonical_drop_column(const DropColumn& op) {
    return "drop_column " + quote_ident(op.table) + " " + quote_ident(op.column) +
           " down=" + (op.down ? quote_literal(op.down->sql) : std::string("-"));
}

} // namespace

extern constinit const OperationUnit drop_column_unit =
    operation_unit<DropColumn, load_drop_column, plan_drop_column, canonical_drop_column>(
        "drop_column");

} // namespace pgphase::planners
