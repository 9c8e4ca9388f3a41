// add-column-volatile-default and add-column-not-null-no-default. Since PostgreSQL 11 a
// non-volatile default is evaluated once and kept in the catalog (no rewrite); a volatile one,
// a stored generated column or an identity/serial column fills every row: a rewrite. Pure.
#include "planners/lint/rules/checks.hpp"

#include <set>

namespace pgphase::planners::lint {

namespace {

bool is_serial(const std::string& type_name) {
    static const std::set<std::string> serials = {"serial", "bigserial", "smallserial"};
    return serials.count(type_name) != 0;
}

void check_one(CheckContext& context, const TableName& table, const json& column) {
    const std::string name = string_field(column, "colname");
    const std::string where = table.display() + "." + quote_name(name);
    const ColumnType type = column_type(column.value("typeName", json::object()));
    bool not_null = false;
    bool has_default = false;
    for (const json& item : column.value("constraints", json::array())) {
        const json& constraint = item.value("Constraint", json::object());
        const std::string contype = string_field(constraint, "contype");
        if (contype == "CONSTR_NOTNULL" || contype == "CONSTR_PRIMARY") {
            not_null = true;
        } else if (contype == "CONSTR_DEFAULT") {
            has_default = true;
            const VolatilityVerdict verdict =
                default_volatility(constraint.value("raw_expr", json()));
            if (verdict.volatility == Volatility::volatile_) {
                context.report("add-column-volatile-default",
                               "adding " + where + " with the volatile default " + verdict.culprit +
                                   " rewrites " + table.display() +
                                   ": every row gets its own value");
            } else if (verdict.volatility == Volatility::unknown) {
                context.report("add-column-volatile-default",
                               "adding " + where + " with default " + verdict.culprit +
                                   " rewrites " + table.display() + " if it is volatile " +
                                   "(assumed: it is not known to be stable or immutable)");
            }
        } else if (contype == "CONSTR_GENERATED") {
            has_default = true;
            context.report("add-column-volatile-default", "adding the stored generated column " +
                                                              where +
                                                              " computes it for "
                                                              "every row: a rewrite of " +
                                                              table.display());
        } else if (contype == "CONSTR_IDENTITY") {
            has_default = true;
            context.report("add-column-volatile-default", "adding the identity column " + where +
                                                              " numbers every row: a "
                                                              "rewrite of " +
                                                              table.display());
        }
    }
    if (is_serial(type.name)) {
        has_default = true;
        context.report("add-column-volatile-default",
                       "adding the " + type.name + " column " + where +
                           " fills every row from a sequence (nextval() is volatile): a "
                           "rewrite of " +
                           table.display());
    }
    if (not_null && !has_default) {
        context.report("add-column-not-null-no-default",
                       "adding " + where + " as NOT NULL without a default fails as soon as " +
                           table.display() + " has a row");
    }
}

} // namespace

void check_add_column(CheckContext& context) {
    const auto table = altered_table(context);
    if (!table || context.created_here(*table)) {
        return;
    }
    for (const json& cmd : alter_commands(context)) {
        if (string_field(cmd, "subtype") == "AT_AddColumn") {
            check_one(context, *table, cmd.at("def").at("ColumnDef"));
        }
    }
}

} // namespace pgphase::planners::lint
