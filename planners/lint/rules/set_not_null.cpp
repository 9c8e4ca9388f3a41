// set-not-null. SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated
// CHECK (col IS NOT NULL) already proves it (PostgreSQL 12+): one validated earlier in the file,
// in an earlier migration of the folder or in the live catalog (the schema model knows those),
// or earlier in the same ALTER TABLE. Pure.
#include "planners/lint/rules/checks.hpp"

#include <set>

namespace pgphase::planners::lint {

void check_set_not_null(CheckContext& context) {
    const auto table = altered_table(context);
    if (!table) {
        return;
    }
    // Checks this statement adds or validates before its SET NOT NULL; earlier statements'
    // (this file's, earlier migrations', the live catalog's) are in the schema model.
    std::set<std::string> proven_here;
    for (const json& cmd : alter_commands(context)) {
        const std::string subtype = string_field(cmd, "subtype");
        if (subtype == "AT_AddConstraint") {
            const json& constraint = cmd.at("def").value("Constraint", json::object());
            const std::string column = not_null_check_column(constraint);
            if (!column.empty() && !constraint.value("skip_validation", false)) {
                proven_here.insert(column);
            }
        } else if (subtype == "AT_ValidateConstraint") {
            const std::string column =
                context.schema().not_null_check(*table, string_field(cmd, "name"));
            if (!column.empty()) {
                proven_here.insert(column);
            }
        } else if (subtype == "AT_SetNotNull") {
            const std::string column = string_field(cmd, "name");
            if (context.created_here(*table) || proven_here.count(column) != 0 ||
                context.schema().proven_not_null(*table, column)) {
                continue;
            }
            context.report("set-not-null", "SET NOT NULL on " + table->display() + "." +
                                               quote_name(column) + " scans all of " +
                                               table->display() + " under ACCESS EXCLUSIVE");
        }
    }
}

} // namespace pgphase::planners::lint
