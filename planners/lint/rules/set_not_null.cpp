// set-not-null. SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated
// CHECK (col IS NOT NULL) already proves it (PostgreSQL 12+). Remembers such checks added
// NOT VALID and validated earlier in the file. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

namespace {

// The column of `CHECK (col IS NOT NULL)`, "" for any other check.
std::string not_null_check_column(const json& constraint) {
    const json& expression = constraint.value("raw_expr", json::object());
    if (!expression.contains("NullTest")) {
        return {};
    }
    const json& test = expression.at("NullTest");
    if (string_field(test, "nulltesttype") != "IS_NOT_NULL") {
        return {};
    }
    const json& argument = test.value("arg", json::object());
    if (!argument.contains("ColumnRef")) {
        return {};
    }
    const auto fields = string_list(argument.at("ColumnRef").value("fields", json::array()));
    return fields.size() == 1 ? fields[0] : std::string();
}

} // namespace

void check_set_not_null(CheckContext& context) {
    const auto table = altered_table(context);
    if (!table) {
        return;
    }
    FileFacts& facts = context.facts();
    for (const json& cmd : alter_commands(context)) {
        const std::string subtype = string_field(cmd, "subtype");
        if (subtype == "AT_AddConstraint") {
            const json& constraint = cmd.at("def").value("Constraint", json::object());
            if (string_field(constraint, "contype") != "CONSTR_CHECK") {
                continue;
            }
            const std::string column = not_null_check_column(constraint);
            if (column.empty()) {
                continue;
            }
            if (constraint.value("skip_validation", false)) {
                facts.not_null_checks[table->key() + "/" + string_field(constraint, "conname")] =
                    column;
            } else {
                facts.validated_not_null.insert(table->key() + "/" + column);
            }
        } else if (subtype == "AT_ValidateConstraint") {
            const auto check =
                facts.not_null_checks.find(table->key() + "/" + string_field(cmd, "name"));
            if (check != facts.not_null_checks.end()) {
                facts.validated_not_null.insert(table->key() + "/" + check->second);
            }
        } else if (subtype == "AT_SetNotNull") {
            const std::string column = string_field(cmd, "name");
            if (context.created_here(*table) ||
                facts.validated_not_null.count(table->key() + "/" + column) != 0) {
                continue;
            }
            context.report("set-not-null", "SET NOT NULL on " + table->display() + "." +
                                               quote_name(column) + " scans all of " +
                                               table->display() + " under ACCESS EXCLUSIVE");
        }
    }
}

} // namespace pgphase::planners::lint
