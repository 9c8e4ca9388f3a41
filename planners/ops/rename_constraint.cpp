// Plans RENAME CONSTRAINT at contract. It is metadata only, but apps can depend on a name
// (ON CONFLICT ON CONSTRAINT, error handling that matches the name), so the old name stays
// until no old app version runs; renaming at expand would break the old version instead.
// Pure.
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

namespace pgphase::planners {

void plan_rename_constraint(OpContext& context, const RenameConstraint& op) {
    if (CatalogTable* found = context.find_table(op.table)) {
        refuse_taken_constraint_name(context, *found, op.to);
        if (const CatalogConstraint* constraint = require_constraint(context, *found, op.from)) {
            const bool has_index =
                constraint->type == 'p' || constraint->type == 'u' || constraint->type == 'x';
            if (has_index) {
                // PostgreSQL renames the constraint's index with it.
                refuse_taken_relation_name(context, op.to, "the constraint's index");
                for (auto& index : found->indexes) {
                    index.name = index.name == op.from ? op.to : index.name;
                }
                for (auto& relation : context.catalog->relations) {
                    if (relation.schema == context.plan.schema && relation.name == op.from) {
                        relation.name = op.to;
                    }
                }
            }
            for (auto& renamed : found->constraints) {
                renamed.name = renamed.name == op.from ? op.to : renamed.name;
            }
        }
    }
    const QualifiedName table = context.table_name(op.table);
    Step& contract =
        context.add_step(Phase::contract, op.table,
                         "rename constraint " + op.from + " on " + op.table + " to " + op.to);
    contract.lock = LockLevel::access_exclusive;
    contract.sql.push_back("ALTER TABLE " + table.sql() + " RENAME CONSTRAINT " +
                           quote_ident(op.from) + " TO " + quote_ident(op.to));
}

} // namespace pgphase::planners
