// Expression and type-name parsing on libpg_query's JSON parse tree, and canonical rendering
// through its deparser (which also strips comments, so the result is safe to embed). Pure.
#include "planners/sql/expression.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pg_query.h>
#include <set>
#include <string_view>

namespace pgphase::planners {

namespace {

using nlohmann::json;

constexpr std::string_view select_prefix = "SELECT ";

struct Parsed { // NOLINT(bugprone-exception-escape): json's move may allocate; fine here
    json tree;
    std::string error;
    int offset = 0;
};

Parsed parse_sql(const std::string& sql, int prefix_length) {
    Parsed out;
    PgQueryParseResult result = pg_query_parse(sql.c_str());
    if (result.error != nullptr) {
        out.error = result.error->message;
        out.offset = std::max(0, result.error->cursorpos - 1 - prefix_length);
    } else {
        out.tree = json::parse(result.parse_tree);
    }
    pg_query_free_parse_result(result);
    return out;
}

// The parser's own rendering of a statement; empty if the deparser cannot render it.
std::string deparse(const std::string& sql) {
    std::string out;
    PgQueryProtobufParseResult parsed = pg_query_parse_protobuf(sql.c_str());
    if (parsed.error == nullptr) {
        PgQueryDeparseResult deparsed = pg_query_deparse_protobuf(parsed.parse_tree);
        if (deparsed.error == nullptr && deparsed.query != nullptr) {
            out = deparsed.query;
        }
        pg_query_free_deparse_result(deparsed);
    }
    pg_query_free_protobuf_parse_result(parsed);
    return out;
}

// The single target of `SELECT <x>`, or an error saying why there is not exactly one.
std::variant<json, std::string> single_target(const json& tree) {
    const auto& stmts = tree.at("stmts");
    if (stmts.size() != 1) {
        return std::string("expected one expression, found ") + std::to_string(stmts.size()) +
               " statements";
    }
    const auto& stmt = stmts[0].at("stmt");
    if (!stmt.contains("SelectStmt")) {
        return std::string("expected one expression");
    }
    const auto& select = stmt.at("SelectStmt");
    static const std::set<std::string> allowed = {"targetList", "limitOption", "op"};
    for (const auto& [key, value] : select.items()) {
        if (allowed.count(key) == 0) {
            return std::string("expected one expression, found a query clause (") + key + ")";
        }
    }
    if (!select.contains("targetList")) {
        return std::string("expected one expression, found none");
    }
    const auto& targets = select.at("targetList");
    if (targets.size() != 1) {
        return std::string("expected one expression, found ") + std::to_string(targets.size());
    }
    const auto& target = targets[0].at("ResTarget");
    if (target.contains("name")) {
        return std::string("an expression cannot carry an alias");
    }
    return target.at("val");
}

void collect_column_refs(const json& node, std::vector<std::string>& refs, std::string& problem) {
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if (key == "SubLink") {
                // Its column references belong to another table: not one row of this one.
                problem = "subqueries are not supported in expressions yet";
                continue;
            }
            if (key == "ColumnRef") {
                const auto& fields = value.at("fields");
                if (fields.size() != 1 || !fields[0].contains("String")) {
                    problem = "column references must be unqualified column names";
                    continue;
                }
                std::string name = fields[0].at("String").at("sval").get<std::string>();
                if (std::find(refs.begin(), refs.end(), name) == refs.end()) {
                    refs.push_back(std::move(name));
                }
                continue;
            }
            collect_column_refs(value, refs, problem);
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            collect_column_refs(item, refs, problem);
        }
    }
}

bool is_constant(const json& node) {
    if (node.contains("A_Const")) {
        return true;
    }
    if (node.contains("TypeCast")) {
        return is_constant(node.at("TypeCast").at("arg"));
    }
    return false;
}

} // namespace

std::variant<Expression, ParseError> parse_expression(const std::string& text,
                                                      const SourceMark& mark) {
    const std::string sql = std::string(select_prefix) + text;
    Parsed parsed = parse_sql(sql, static_cast<int>(select_prefix.size()));
    if (!parsed.error.empty()) {
        return ParseError{parsed.error, parsed.offset};
    }
    auto target = single_target(parsed.tree);
    if (auto* why = std::get_if<std::string>(&target)) {
        return ParseError{*why, 0};
    }
    const json& value = std::get<json>(target);
    Expression expression;
    expression.source = text;
    expression.mark = mark;
    std::string problem;
    collect_column_refs(value, expression.column_refs, problem);
    if (!problem.empty()) {
        return ParseError{problem, 0};
    }
    expression.is_constant = is_constant(value);
    const std::string rendered = deparse(sql);
    if (rendered.rfind(select_prefix, 0) != 0) {
        return ParseError{"the expression parses but cannot be rendered back to SQL", 0};
    }
    expression.sql = rendered.substr(select_prefix.size());
    return expression;
}

std::optional<std::string> query_problem(const std::string& sql) {
    Parsed parsed = parse_sql(sql, 0);
    if (!parsed.error.empty()) {
        return parsed.error;
    }
    const auto& stmts = parsed.tree.at("stmts");
    if (stmts.size() != 1) {
        return "expected one statement, found " + std::to_string(stmts.size());
    }
    if (!stmts[0].at("stmt").contains("SelectStmt")) {
        return std::string("expected a SELECT");
    }
    return std::nullopt;
}

std::variant<TypeName, ParseError> parse_type_name(const std::string& text,
                                                   const SourceMark& mark) {
    static const std::string prefix = "SELECT NULL::";
    const std::string sql = prefix + text;
    Parsed parsed = parse_sql(sql, static_cast<int>(prefix.size()));
    if (!parsed.error.empty()) {
        return ParseError{parsed.error, parsed.offset};
    }
    auto target = single_target(parsed.tree);
    if (std::holds_alternative<std::string>(target)) {
        return ParseError{"expected one type name", 0};
    }
    const json& value = std::get<json>(target);
    if (!value.contains("TypeCast") || !value.at("TypeCast").at("arg").contains("A_Const")) {
        return ParseError{"expected one type name", 0};
    }
    const std::string rendered = deparse(sql);
    if (rendered.rfind(prefix, 0) != 0) {
        return ParseError{"the type name parses but cannot be rendered back to SQL", 0};
    }
    return TypeName{text, rendered.substr(prefix.size()), mark};
}

} // namespace pgphase::planners
