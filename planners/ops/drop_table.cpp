// Plans DROP TABLE: the new app version stops seeing the table at expand (its version schema has
// no view for it) while the old version keeps using it; contract drops it. Nothing runs before
// contract, so rollback only has to bring the view back. Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/identifiers_unit.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/table_constraints.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// Whether a foreign key definition read from the catalog points at schema.table.
bool references(const std::string& definition, const std::string& schema,
                const std::string& table) {
    const auto target = referenced_table(definition);
    return target && target->second == table && (target->first.empty() || target->first == schema);
}

} // namespace

void plan_drop_table(OpContext& context, const DropTable& op) {
    const QualifiedName table = context.table_name(op.table);
    std::vector<std::string> referenced; // tables its own foreign keys point at
    if (CatalogTable* found = context.find_table(op.table)) {
        if (found->new_version.dropped) {
            context.diagnostics.error(context.change.mark, "table \"" + op.table +
                                                               "\" is already dropped by an "
                                                               "earlier change");
        }
        // DROP TABLE without CASCADE fails when other tables' foreign keys point at it, and
        // CASCADE would silently drop their constraints. Tables dropped earlier in this plan
        // are gone by then (contract runs in plan order).
        for (const auto& other : context.catalog->tables) {
            if (other.schema != context.plan.schema || other.name == op.table ||
                other.new_version.dropped) {
                continue;
            }
            for (const auto& constraint : other.constraints) {
                if (constraint.type == 'f' &&
                    references(constraint.definition, context.plan.schema, op.table)) {
                    context.diagnostics.error(
                        context.change.mark,
                        "table \"" + op.table + "\" is referenced by foreign key \"" +
                            constraint.name + "\" of table \"" + other.name + "\"",
                        "drop that constraint (or table \"" + other.name +
                            "\") in an earlier change or migration; pgphase does not drop "
                            "other tables' constraints with CASCADE");
                }
            }
        }
        found->new_version.dropped = true;
        for (const auto& constraint : found->constraints) {
            const auto target = referenced_table(constraint.definition);
            if (constraint.type == 'f' && target && target->second != op.table &&
                std::find(referenced.begin(), referenced.end(), target->second) ==
                    referenced.end()) {
                referenced.push_back(target->second);
            }
        }
    } else if (context.catalog == nullptr) {
        context.unchecked.push_back("that no other table's foreign key references \"" + op.table +
                                    "\"");
    }

    // Later changes to the table would plan steps whose contract runs after the DROP.
    refuse_later_changes(context, op.table, "drops");

    // Expand has no SQL: the version schema simply has no view for the table. Old clients keep
    // using it until contract, which is what contract means for them.
    std::string summary = "drop table " + op.table;
    if (!referenced.empty()) {
        // Dropping its foreign keys removes their triggers on the referenced tables.
        summary += " (also ACCESS EXCLUSIVE, briefly, on";
        for (const auto& name : referenced) {
            summary += " " + name;
        }
        summary += ")";
    }
    Step& contract = context.add_step(Phase::contract, op.table, summary + kept_note(context));
    contract.lock = LockLevel::access_exclusive;
    contract.sql.push_back(drop_or_keep_table(context, table));
}

// The operation's unit: its YAML fields (table), its part of the checksum, its
// registration.
extern constinit const OperationUnit drop_table_unit =
    identifiers_unit<DropTable, plan_drop_table, "drop_table", "table">();

} // namespace pgphase::planners
