// Shared pieces of the constraint operations: the VALIDATE step and constraint lookups. Pure.
#include "planners/ops/constraint_blocks.hpp"

#include "planners/model/suggest.hpp"
#include "planners/sql/quote.hpp"

#include <variant>

namespace pgphase::planners {

const CatalogConstraint* find_constraint(const CatalogTable& table, const std::string& name) {
    for (const auto& constraint : table.constraints) {
        if (constraint.name == name) {
            return &constraint;
        }
    }
    return nullptr;
}

const CatalogConstraint* require_constraint(OpContext& context, const CatalogTable& table,
                                            const std::string& name) {
    if (const auto* found = find_constraint(table, name)) {
        return found;
    }
    std::vector<std::string> names;
    for (const auto& constraint : table.constraints) {
        names.push_back(constraint.name);
    }
    std::string hint = did_you_mean_hint(name, names);
    if (hint.empty()) {
        hint = names.empty() ? "table \"" + table.name + "\" has no constraints"
                             : "its constraints are: " + quoted_columns(names);
    }
    context.diagnostics.error(
        context.change.mark,
        "constraint \"" + name + "\" of table \"" + table.name + "\" does not exist", hint);
    return nullptr;
}

void refuse_taken_constraint_name(OpContext& context, const CatalogTable& table,
                                  const std::string& name) {
    // An earlier change of this plan that drops or renames `name` does so only at contract, so
    // the name is still taken when this change's expand runs.
    for (int i = 0; i < context.change_index; ++i) {
        const Operation& earlier = context.plan.changes[static_cast<std::size_t>(i)].operation;
        const auto* drop = std::get_if<DropConstraint>(&earlier);
        const auto* rename = std::get_if<RenameConstraint>(&earlier);
        if ((drop != nullptr && drop->table == table.name && drop->name == name) ||
            (rename != nullptr && rename->table == table.name && rename->from == name)) {
            context.diagnostics.error(
                context.change.mark,
                "constraint \"" + name + "\" of table \"" + table.name +
                    "\" is still there until contract",
                std::string("change ") + std::to_string(i + 1) + " " +
                    (drop != nullptr ? "drops" : "renames") +
                    " it only at contract, after this change's expand; give the new constraint "
                    "another name (a later migration can rename it)");
            return;
        }
    }
    if (find_constraint(table, name) != nullptr) {
        context.diagnostics.error(context.change.mark,
                                  "constraint \"" + name + "\" of table \"" + table.name +
                                      "\" already exists",
                                  "choose another name, or drop the existing constraint with "
                                  "drop_constraint in an earlier migration");
    }
}

void refuse_taken_relation_name(OpContext& context, const std::string& name,
                                const std::string& what) {
    if (context.catalog != nullptr &&
        context.catalog->relation(context.plan.schema, name) != nullptr) {
        context.diagnostics.error(context.change.mark,
                                  "relation \"" + context.plan.schema + "\".\"" + name +
                                      "\" already exists",
                                  what + " is named after it, and index names share their "
                                         "schema's namespace with tables; choose another name");
    }
}

Step& add_validate_constraint(OpContext& context, const std::string& table,
                              const std::string& constraint, const std::string& violators,
                              const std::vector<std::string>& shown, const CatalogTable* found) {
    const QualifiedName name = context.table_name(table);
    Step& validate = context.add_step(Phase::backfill, table,
                                      "validate constraint " + constraint + " on " + table);
    validate.lock = LockLevel::share_update_exclusive;
    validate.sql.push_back("ALTER TABLE " + name.sql() + " VALIDATE CONSTRAINT " +
                           quote_ident(constraint));
    validate.violation_count_sql =
        "SELECT count(*) FROM " + name.sql() + " AS pgphase_row WHERE " + violators;
    validate.violation_examples_sql =
        examples_by_key_sql(name, example_key(found), violators, shown);
    return validate;
}

} // namespace pgphase::planners
