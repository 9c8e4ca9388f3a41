// Plans SET DEFAULT at expand. A default is catalog metadata (no scan, no rewrite; existing rows
// keep their values), and a new app version inserting through its version schema gets the base
// table's defaults, so the new default must be there before it runs. The old version keeps
// working: its inserts that omit the column get the new default instead of the old one. Undo
// puts the old default back (or drops it if there was none). Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

void plan_set_default(OpContext& context, const SetDefault& op) {
    check_not_replaced_earlier(context, op.table, {op.column});
    const QualifiedName table = context.table_name(op.table);
    const std::string alter =
        "ALTER TABLE " + table.sql() + " ALTER COLUMN " + quote_ident(op.column) + " ";
    std::string undo = alter + "SET DEFAULT <default of " + quote_ident(op.table) + "." +
                       quote_ident(op.column) + " before the change>";
    if (CatalogTable* found = context.find_table(op.table)) {
        const std::string name = "\"" + op.table + "\".\"" + op.column + "\"";
        if (const CatalogColumn* column = context.find_column(*found, op.column, "set default")) {
            if (column->identity || column->generated) {
                context.diagnostics.error(
                    context.change.mark,
                    "column " + name + " is " + (column->identity ? "an identity" : "a generated") +
                        " column",
                    column->identity ? "its values come from its sequence; drop the identity "
                                       "first to give it a default"
                                     : "its value is computed; it cannot have a default");
            }
            undo = column->default_expression ? alter + "SET DEFAULT " + *column->default_expression
                                              : alter + "DROP DEFAULT";
            for (auto& candidate : found->columns) {
                if (candidate.name == op.column) {
                    candidate.default_expression = op.default_value.sql;
                }
            }
        }
    } else {
        context.unchecked.push_back("the current default of \"" + op.table + "\".\"" + op.column +
                                    "\", which rollback restores (read from the database at "
                                    "start)");
    }

    Step& step = context.add_step(Phase::expand, op.table,
                                  "set the default of " + op.table + "." + op.column);
    step.lock = LockLevel::access_exclusive;
    step.sql.push_back(alter + "SET DEFAULT " + op.default_value.sql);
    step.undo.push_back(undo);
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_set_default(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "set_default", {"table", "column", "default"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const TableColumn target = read_table_column(reader);
    auto value = reader.expression("default", true);
    reader.finish();
    if (value && !value->column_refs.empty()) {
        loader.error(reader.get("default"),
                     "a default cannot read column \"" + value->column_refs.front() + "\"",
                     "PostgreSQL evaluates a default before the row exists; to derive a value "
                     "from other columns use add_column's \"up\" or a backfill");
        return std::nullopt;
    }
    if (!target.table || !target.column || !value) {
        return std::nullopt;
    }
    return SetDefault{*target.table, *target.column, *value};
}

std::string canonical_set_default(const SetDefault& op) {
    return "set_default " + quote_ident(op.table) + " " + quote_ident(op.column) + " " +
           quote_literal(op.default_value.sql);
}

} // namespace

extern constinit const OperationUnit set_default_unit =
    operation_unit<SetDefault, load_set_default, plan_set_default, canonical_set_default>(
        "set_default");

} // namespace pgphase::planners
