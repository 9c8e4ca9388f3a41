// Plans DROP INDEX CONCURRENTLY at contract, outside a transaction: the old app version may
// still depend on the index for its query plans until then. Reads and writes go on while it
// runs. Indexes that back a constraint are refused (drop_constraint removes both). Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/model/suggest.hpp"
#include "planners/ops/identifiers_unit.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// The table the index is on, or "" (reported) when the catalog does not know the index.
std::string check_against_catalog(OpContext& context, const DropIndex& op) {
    const std::string name = "\"" + context.plan.schema + "\".\"" + op.name + "\"";
    std::vector<std::string> known;
    for (auto& table : context.catalog->tables) {
        if (table.schema != context.plan.schema) {
            continue;
        }
        for (const auto& index : table.indexes) {
            known.push_back(index.name);
        }
        const auto index = std::find_if(table.indexes.begin(), table.indexes.end(),
                                        [&](const CatalogIndex& i) { return i.name == op.name; });
        if (index == table.indexes.end()) {
            continue;
        }
        const auto constraint = std::find_if(
            table.constraints.begin(), table.constraints.end(), [&](const CatalogConstraint& c) {
                return c.name == op.name && (c.type == 'p' || c.type == 'u' || c.type == 'x');
            });
        if (index->primary || constraint != table.constraints.end()) {
            const std::string constraint_name =
                constraint != table.constraints.end() ? constraint->name : index->name;
            context.diagnostics.error(
                context.change.mark,
                "index " + name + " backs " +
                    (index->primary ? std::string("the primary key") : "a constraint") + " (\"" +
                    constraint_name + "\") of table \"" + table.name + "\"",
                "drop the constraint instead, which drops its index with it: - drop_constraint: "
                "{table: " +
                    table.name + ", name: " + constraint_name + "}");
        }
        std::string table_name = table.name;
        table.indexes.erase(index);
        auto& relations = context.catalog->relations;
        relations.erase(std::remove_if(relations.begin(), relations.end(),
                                       [&](const CatalogRelation& r) {
                                           return r.schema == context.plan.schema &&
                                                  r.name == op.name;
                                       }),
                        relations.end());
        return table_name;
    }
    const CatalogRelation* relation = context.catalog->relation(context.plan.schema, op.name);
    if (relation != nullptr && relation->kind == 'i') {
        return "<table of index " + op.name + ">"; // created earlier in this plan
    }
    if (relation != nullptr) {
        context.diagnostics.error(context.change.mark, "relation " + name + " is not an index",
                                  "drop_index drops indexes only");
    } else {
        context.diagnostics.error(context.change.mark, "index " + name + " does not exist",
                                  did_you_mean_hint(op.name, known));
    }
    return "";
}

} // namespace

void plan_drop_index(OpContext& context, const DropIndex& op) {
    std::string table = "<table of index " + op.name + ">";
    if (context.catalog != nullptr) {
        table = check_against_catalog(context, op);
    } else {
        context.unchecked.push_back("index \"" + context.plan.schema + "\".\"" + op.name +
                                    "\", its table and whether it backs a constraint (no "
                                    "database: pass --dsn to check)");
    }
    const QualifiedName index{context.plan.schema, op.name};
    Step& step =
        context.add_step(Phase::contract, table, "drop index " + op.name + " concurrently");
    step.lock = LockLevel::share_update_exclusive;
    step.transactional = false;
    step.sql.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + index.sql());
}

// The operation's unit: its YAML fields (name), its part of the checksum, its
// registration.
extern constinit const OperationUnit drop_index_unit =
    identifiers_unit<DropIndex, plan_drop_index, "drop_index", "name">();

} // namespace pgphase::planners
