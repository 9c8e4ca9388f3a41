// alter-column-type and enum-recreate. Decides rewrite or not from the old type when the
// schema model knows it; otherwise assumes a rewrite and says so. A change to an enum created in
// the same file is the enum recreation dance. Pure.
#include "planners/lint/rules/checks.hpp"
#include "planners/lint/type_change.hpp"

namespace pgphase::planners::lint {

namespace {

// No USING, or USING that is the column itself, possibly cast to the new type.
bool using_is_plain(const json& expression, const std::string& column, const ColumnType& to) {
    if (expression.is_null() || !expression.is_object() || expression.empty()) {
        return true;
    }
    const json* inner = &expression;
    if (expression.contains("TypeCast")) {
        const json& cast = expression.at("TypeCast");
        if (!(column_type(cast.value("typeName", json::object())) == to)) {
            return false;
        }
        inner = &cast.at("arg");
    }
    if (!inner->contains("ColumnRef")) {
        return false;
    }
    const auto fields = string_list(inner->at("ColumnRef").value("fields", json::array()));
    return fields.size() == 1 && fields[0] == column;
}

void check_one(CheckContext& context, const TableName& table, const json& cmd) {
    const std::string column = string_field(cmd, "name");
    const std::string where = table.display() + "." + quote_name(column);
    const json& definition = cmd.at("def").at("ColumnDef");
    const ColumnType to = column_type(definition.value("typeName", json::object()));
    if (context.facts().created_types.count(to.name) != 0) {
        context.report("enum-recreate", "changing " + where + " to the enum " + to.display() +
                                            ", recreated in this file, rewrites " +
                                            table.display() + " under ACCESS EXCLUSIVE");
        return;
    }
    const bool plain = using_is_plain(definition.value("raw_default", json()), column, to);
    if (const ColumnType* from = context.schema().column_type(table, column)) {
        const TypeChangeVerdict verdict = classify_type_change(*from, to, plain);
        if (verdict.rewrites) {
            context.report("alter-column-type", "changing the type of " + where + " rewrites " +
                                                    table.display() + ": " + verdict.reason);
        }
        return;
    }
    if (!plain) {
        context.report("alter-column-type", "changing the type of " + where + " rewrites " +
                                                table.display() +
                                                ": the USING expression is computed for "
                                                "every row");
    } else if (const std::string sources = free_sources(to); !sources.empty()) {
        // Whether it rewrites depends on what lint cannot see: a warning that says so. Linting
        // the folder with its history, or with --dsn, knows the old type (and deploy does).
        CheckContext::Details details;
        details.level = Level::warning;
        details.effect = "rewrites the table unless the change is binary compatible";
        context.report("alter-column-type",
                       "changing " + where + " to " + to.display() + " rewrites " +
                           table.display() + " unless its old type converts for free (" + sources +
                           "); lint cannot tell: the old type is unknown (no earlier migration "
                           "linted with this file creates the column, and no --dsn catalog "
                           "has it)",
                       details);
    } else {
        context.report("alter-column-type", "changing " + where + " to " + to.display() +
                                                " rewrites " + table.display() +
                                                " (its old type is unknown, but no other type "
                                                "converts to " +
                                                to.display() + " without a rewrite)");
    }
}

} // namespace

void check_alter_column_type(CheckContext& context) {
    const auto table = altered_table(context);
    if (!table || context.created_here(*table)) {
        return;
    }
    for (const json& cmd : alter_commands(context)) {
        if (string_field(cmd, "subtype") == "AT_AlterColumnType") {
            check_one(context, *table, cmd);
        }
    }
}

} // namespace pgphase::planners::lint
