// Plans RENAME TABLE: during expand the new app version sees the table under its new name (its
// version schema's view carries it) and the old one under the old name (the base table); contract
// renames the base table, metadata only, under lock_timeout. From then on old clients that name
// the table break, which is what contract means for them. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/table_constraints.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

void plan_rename_table(OpContext& context, const RenameTable& op) {
    if (CatalogTable* found = context.find_table(op.from)) {
        if (found->new_version.dropped) {
            context.diagnostics.error(context.change.mark,
                                      "table \"" + op.from + "\" is dropped by an earlier change");
        }
        if (found->new_version.name) {
            context.diagnostics.error(context.change.mark,
                                      "table \"" + op.from + "\" is already renamed to \"" +
                                          *found->new_version.name + "\" by an earlier change");
        }
        if (context.catalog->relation(context.plan.schema, op.to) != nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "relation \"" + context.plan.schema + "\".\"" + op.to +
                                          "\" already exists",
                                      "tables, views, indexes and sequences share their schema's "
                                      "namespace; choose another name");
        }
        for (const auto& other : context.catalog->tables) {
            if (&other != found && other.schema == found->schema &&
                other.new_version.name == op.to) {
                context.diagnostics.error(context.change.mark, "table \"" + other.name +
                                                                   "\" is renamed to \"" + op.to +
                                                                   "\" by an earlier change");
            }
        }
        found->new_version.name = op.to;
        context.catalog->relations.push_back({context.plan.schema, op.to, 'r'});
    }
    // Later changes name the table by its new name; the planner runs them against the old
    // one, and this rename after every other contract step (planners/plan/table_renames.hpp).
    const QualifiedName table = context.table_name(op.from);
    Step& contract =
        context.add_step(Phase::contract, op.from, "rename table " + op.from + " to " + op.to);
    contract.lock = LockLevel::access_exclusive;
    contract.sql.push_back("ALTER TABLE " + table.sql() + " RENAME TO " + quote_ident(op.to));
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_rename_table(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "rename_table", {"from", "to"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto from = reader.identifier("from", true);
    auto to = reader.identifier("to", true);
    reader.finish();
    if (from && to && *from == *to) {
        loader.error(reader.get("to"), "rename_table renames \"" + *from + "\" to itself");
        return std::nullopt;
    }
    if (!from || !to) {
        return std::nullopt;
    }
    return RenameTable{*from, *to};
}

std::string canonical_rename_table(const RenameTable& op) {
    return "rename_table " + quote_ident(op.from) + " " + quote_ident(op.to);
}

} // namespace

extern constinit const OperationUnit rename_table_unit =
    operation_unit<RenameTable, load_rename_table, plan_rename_table, canonical_rename_table,
                   claim_relation<RenameTable, &RenameTable::to, RelationKind::table>>(
        "rename_table");

} // namespace pgphase::planners
