// Plans DROP DEFAULT at contract. The old app version may rely on the default (an insert that
// omits a NOT NULL column), and a new version that no longer relies on it is not hurt by it
// staying until every old instance is gone. Catalog metadata only. Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/identifiers_unit.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

void plan_drop_default(OpContext& context, const DropDefault& op) {
    check_not_replaced_earlier(context, op.table, {op.column});
    const QualifiedName table = context.table_name(op.table);
    if (CatalogTable* found = context.find_table(op.table)) {
        if (const CatalogColumn* column = context.find_column(*found, op.column, "drop default")) {
            const std::string name = "\"" + op.table + "\".\"" + op.column + "\"";
            if (column->identity || column->generated) {
                context.diagnostics.error(context.change.mark,
                                          "column " + name + " is " +
                                              (column->identity ? "an identity" : "a generated") +
                                              " column",
                                          "it has no default to drop; its values are "
                                          "generated");
            } else if (!column->default_expression) {
                context.diagnostics.error(context.change.mark, "column " + name + " has no default",
                                          "nothing to do; remove this change");
            }
            for (auto& candidate : found->columns) {
                if (candidate.name == op.column) {
                    candidate.default_expression.reset();
                }
            }
        }
    }

    Step& step = context.add_step(Phase::contract, op.table,
                                  "drop the default of " + op.table + "." + op.column);
    step.lock = LockLevel::access_exclusive;
    step.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + quote_ident(op.column) +
                       " DROP DEFAULT");
}

// The operation's unit: its YAML fields (table, column), its part of the checksum, its
// registration.
extern constinit const OperationUnit drop_default_unit =
    identifiers_unit<DropDefault, plan_drop_default, "drop_default", "table", "column">();

} // namespace pgphase::planners
