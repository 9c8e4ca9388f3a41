// unbatched-update and unbatched-delete: a whole-table UPDATE or DELETE holds a row lock on
// every row until commit, so any app write to any of those rows waits for all of it. A WHERE
// that fixes every column of a unique key (replayed from the earlier migrations, or read from
// the database with --dsn) with `=` or IN selects a few rows: not reported. One that compares
// other columns with constants (=, IN, BETWEEN, <, >) may select a few rows or all of them: a
// warning that says lint cannot tell. One that compares no column with constants (`col IS
// NULL`, `WHERE flag`, `WHERE true`) may select every row: an error. Pure.
#include "planners/lint/rules/checks.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

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

// How far a WHERE bounds the rows it selects.
enum class Bound {
    none,        // compares no column with constants: may select every row
    cannot_tell, // compares some column with constants, but fixes no key
    one_row,     // fixes every column of a unique key with `=` (or IN): a few rows at most
};

struct Terms {
    Bound bound = Bound::none;
    std::set<std::string> fixed; // columns an AND-ed `=` or IN ties to constants
};

std::string column_name(const json& node) {
    const auto fields = string_list(node.at("ColumnRef").value("fields", json::array()));
    return fields.empty() ? std::string() : fields.back();
}

bool fixes_a_key(const std::set<std::string>& fixed,
                 const std::vector<std::vector<std::string>>& keys) {
    return std::any_of(keys.begin(), keys.end(), [&](const std::vector<std::string>& key) {
        return !key.empty() && std::all_of(key.begin(), key.end(), [&](const std::string& column) {
            return fixed.count(column) != 0;
        });
    });
}

// What the condition's terms tell: AND-ed terms add up (the columns they fix together may make
// a key), OR-ed ones are as weak as their weakest branch.
Terms read_terms(const json& condition, const std::vector<std::vector<std::string>>& keys) {
    Terms out;
    if (!condition.is_object()) {
        return out;
    }
    if (condition.contains("BoolExpr")) {
        const json& bool_expr = condition["BoolExpr"];
        const std::string op = string_field(bool_expr, "boolop");
        const json& args = bool_expr.value("args", json::array());
        if (op == "AND_EXPR") {
            for (const json& arg : args) {
                Terms term = read_terms(arg, keys);
                out.bound = std::max(out.bound, term.bound);
                out.fixed.merge(term.fixed);
            }
            if (fixes_a_key(out.fixed, keys)) {
                out.bound = Bound::one_row;
            }
        } else if (op == "OR_EXPR" && !args.empty()) {
            out.bound = Bound::one_row;
            for (const json& arg : args) {
                out.bound = std::min(out.bound, read_terms(arg, keys).bound);
            }
        }
        return out; // NOT bounds nothing
    }
    if (!condition.contains("A_Expr")) {
        return out;
    }
    const json& expr = condition["A_Expr"];
    const std::string kind = string_field(expr, "kind");
    const json& left = expr.value("lexpr", json());
    const json& right = expr.value("rexpr", json());
    const auto name = string_list(expr.value("name", json::array()));
    // `=` is a lookup; a one-sided range is how a hand-written chunk is bounded (id < 1000).
    static const std::set<std::string> comparisons = {"=", "<", "<=", ">", ">="};
    std::string fixed;
    if (kind == "AEXPR_OP" && name.size() == 1 && comparisons.count(name[0]) != 0) {
        const json* column = is_column(left) && is_constant(right)   ? &left
                             : is_constant(left) && is_column(right) ? &right
                                                                     : nullptr;
        if (column == nullptr) {
            return out;
        }
        out.bound = Bound::cannot_tell;
        if (name[0] == "=") {
            fixed = column_name(*column);
        }
    } else if (kind == "AEXPR_IN" && name.size() == 1 && name[0] == "=" && is_column(left) &&
               all_constants(right)) {
        out.bound = Bound::cannot_tell;
        fixed = column_name(left);
    } else if (kind == "AEXPR_BETWEEN" && is_column(left) && all_constants(right)) {
        out.bound = Bound::cannot_tell;
    }
    if (!fixed.empty()) {
        out.fixed.insert(fixed);
        if (fixes_a_key(out.fixed, keys)) {
            out.bound = Bound::one_row;
        }
    }
    return out;
}

// A column the file added to `table` earlier, which the WHERE tests for NULL: "" if none.
std::string added_column_tested_for_null(const CheckContext& context, const TableName& table,
                                         const json& condition) {
    const json& test = condition.value("NullTest", json::object());
    if (string_field(test, "nulltesttype") != "IS_NULL" || !is_column(test.value("arg", json()))) {
        return {};
    }
    std::string column = column_name(test["arg"]);
    for (const ColumnEvent& added : context.facts().added_columns) {
        if (added.table.key() == table.key() && added.column == column) {
            return column;
        }
    }
    return {};
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
    const std::string rule = update ? "unbatched-update" : "unbatched-delete";
    const std::string verb = update ? "UPDATE" : "DELETE";
    const std::string writes = update ? "write" : "delete";
    const std::string locks = " in one transaction, locking each row until it commits";
    if (!body.contains("whereClause")) {
        context.report(rule, verb + " without WHERE " + writes + "s every row of " +
                                 table.display() + locks);
        return;
    }
    const json& where = body["whereClause"];
    const auto keys = context.schema().unique_keys(table);
    const Terms terms = read_terms(where, keys);
    if (terms.bound == Bound::one_row) {
        return;
    }
    const std::string subject = verb + " " + (update ? "of " : "from ") + table.display();
    if (terms.bound == Bound::none) {
        std::string why = " with a WHERE that compares no column with constants (=, IN, BETWEEN, "
                          "<, >)";
        if (const std::string column = added_column_tested_for_null(context, table, where);
            !column.empty()) {
            why = " WHERE " + quote_name(column) +
                  " IS NULL, a column this file added (every row has it NULL unless its ADD "
                  "COLUMN gave a default),";
        }
        context.report(rule, subject + why + " may " + writes + " every row" + locks);
        return;
    }
    // A lookup or a range on columns that are not a key: a few rows, or all of them.
    const std::string unknown =
        context.schema().knows_table(table)
            ? "no AND-ed term fixes every column of a primary key or unique constraint of " +
                  table.display() + " with = or IN"
            : "lint does not know the keys of " + table.display() +
                  " (lint the migrations that create it too, or give --dsn)";
    context.report(rule,
                   subject + ": cannot tell how many rows its WHERE selects: " + unknown +
                       ". If it may be many, it " + writes + "s them" + locks,
                   {.level = Level::warning,
                    .hint = std::string(update ? "update" : "delete") +
                            " in batches by key range, committing each (pgphase backfill); if "
                            "it selects few rows, say so with `-- pgphase:ignore " +
                            rule + "`"});
}

} // namespace pgphase::planners::lint
