// Plans RENAME CONSTRAINT at contract. It is metadata only, but apps can depend on a name
// (ON CONFLICT ON CONSTRAINT, error handling that matches the name), so the old name stays
// until no old app version runs; renaming at expand would break the old version instead.
// Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

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

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_rename_constraint(Loader& loader, const YAML::Node& node) {
    return load_rename_in_table<RenameConstraint>(loader, node, "rename_constraint");
}

std::string canonical_rename_constraint(const RenameConstraint& op) {
    return "rename_constraint " + quote_ident(op.table) + " " + quote_ident(op.from) + " " +
           quote_ident(op.to);
}

} // namespace

extern constinit const OperationUnit rename_constraint_unit =
    operation_unit<RenameConstraint, load_rename_constraint, plan_rename_constraint,
                   canonical_rename_constraint>("rename_constraint");

} // namespace pgphase::planners
