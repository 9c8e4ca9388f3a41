// unbatched-update and unbatched-delete: a whole-table UPDATE or DELETE holds a row lock on
// every row until commit, so any app write to any of those rows waits for all of it. A WHERE
// counts as bounding the rows only when it compares a column with constants (=, IN, BETWEEN,
// <, >); one such as `col IS NULL` or `WHERE flag` may still select every row. Pure.
#include "planners/lint/rules/checks.hpp"

#include <set>

namespace pgphase::planners::lint {

namespace {

bool is_column(const json& node) {
    return node.is_object() && node.contains("ColumnRef");
}

// A constant or a parameter, perhaps cast: what a lookup compares a column with.
bool is_constant(const json& node) {
    if (!node.is_object()) {
        return false;
    }
    if (node.contains("TypeCast")) {
        return is_constant(node["TypeCast"].value("arg", json()));
    }
    return node.contains("A_Const") || node.contains("ParamRef");
}

bool all_constants(const json& list) {
    const json& items = list.value("List", json::object()).value("items", json::array());
    if (!items.is_array() || items.empty()) {
        return false;
    }
    for (const json& item : items) {
        if (!is_constant(item)) {
            return false;
        }
    }
    return true;
}

// Whether the condition selects rows by a lookup or a range: some AND-ed term compares a
// column with constants (`=`, `IN`, `BETWEEN`, `<`, `>`, ...), in every branch of an OR.
bool bounds_rows(const json& condition) {
    if (!condition.is_object()) {
        return false;
    }
    if (condition.contains("BoolExpr")) {
        const json& bool_expr = condition["BoolExpr"];
        const std::string op = string_field(bool_expr, "boolop");
        const json& args = bool_expr.value("args", json::array());
        if (op == "AND_EXPR") {
            for (const json& arg : args) {
                if (bounds_rows(arg)) {
                    return true;
                }
            }
            return false;
        }
        if (op == "OR_EXPR") {
            for (const json& arg : args) {
                if (!bounds_rows(arg)) {
                    return false;
                }
            }
            return !args.empty();
        }
        return false; // NOT
    }
    if (!condition.contains("A_Expr")) {
        return false;
    }
    const json& expr = condition["A_Expr"];
    const std::string kind = string_field(expr, "kind");
    const json& left = expr.value("lexpr", json());
    const json& right = expr.value("rexpr", json());
    const auto name = string_list(expr.value("name", json::array()));
    // `=` is a lookup; a one-sided range is how a hand-written chunk is bounded (id < 1000).
    static const std::set<std::string> lookups = {"=", "<", "<=", ">", ">="};
    if (kind == "AEXPR_OP" && name.size() == 1 && lookups.count(name[0]) != 0) {
        return (is_column(left) && is_constant(right)) || (is_constant(left) && is_column(right));
    }
    if ((kind == "AEXPR_IN" && name.size() == 1 && name[0] == "=") || kind == "AEXPR_BETWEEN") {
        return is_column(left) && all_constants(right);
    }
    return false;
}

} // namespace

void check_dml(CheckContext& context) {
    const bool update = context.kind() == "UpdateStmt";
    if (!update && context.kind() != "DeleteStmt") {
        return;
    }
    const json& body = context.body();
    const TableName table = table_from_range_var(body.value("relation", json::object()));
    if (context.created_here(table)) {
        return;
    }
    if (body.contains("whereClause")) {
        if (bounds_rows(body["whereClause"])) {
            return;
        }
        const std::string verb = update ? "UPDATE" : "DELETE";
        context.report(
            update ? "unbatched-update" : "unbatched-delete",
            verb + " " + (update ? "of " : "from ") + table.display() +
                " with a WHERE that compares no column with constants (=, IN, BETWEEN, <, >) "
                "may " +
                (update ? "write" : "delete") +
                " every row in one transaction, locking each row until it commits");
        return;
    }
    if (update) {
        context.report("unbatched-update",
                       "UPDATE without WHERE writes every row of " + table.display() +
                           " in one transaction, locking each row until it commits");
    } else {
        context.report("unbatched-delete",
                       "DELETE without WHERE deletes every row of " + table.display() +
                           " in one transaction, locking each row until it commits");
    }
}

} // namespace pgphase::planners::lint
