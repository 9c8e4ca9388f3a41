// Plans DROP CONSTRAINT at contract: until then the old app version may rely on it, and
// the new version still satisfies it (a CHECK or FOREIGN KEY the new version no longer needs
// is one it can still meet), so nothing is done at expand. Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/identifiers_unit.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

void plan_drop_constraint(OpContext& context, const DropConstraint& op) {
    if (CatalogTable* found = context.find_table(op.table)) {
        if (const CatalogConstraint* constraint = require_constraint(context, *found, op.name)) {
            if (constraint->type == 'p') {
                context.diagnostics.error(
                    context.change.mark,
                    "constraint \"" + op.name + "\" is the primary key of \"" + op.table + "\"",
                    "pgphase walks the primary key to backfill and does not drop it; drop it with "
                    "a raw sql change if you must");
            }
            const auto named = [&](const auto& item) { return item.name == op.name; };
            if (constraint->type == 'u' || constraint->type == 'x') {
                std::erase_if(found->indexes, named); // its index goes with it
                std::erase_if(context.catalog->relations, [&](const CatalogRelation& relation) {
                    return relation.schema == context.plan.schema && relation.name == op.name;
                });
            }
            std::erase_if(found->constraints, named);
        }
    }
    const QualifiedName table = context.table_name(op.table);
    Step& contract = context.add_step(Phase::contract, op.table,
                                      "drop constraint " + op.name + " on " + op.table);
    // ACCESS EXCLUSIVE on the table (and SHARE ROW EXCLUSIVE on a referenced one): metadata
    // only, a unique constraint's index goes with it.
    contract.lock = LockLevel::access_exclusive;
    contract.sql.push_back("ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " +
                           quote_ident(op.name));
}

// The operation's unit: its YAML fields (table, name), its part of the checksum, its
// registration.
extern constinit const OperationUnit drop_constraint_unit =
    identifiers_unit<DropConstraint, plan_drop_constraint, "drop_constraint", "table", "name">();

} // namespace pgphase::planners
