// Reading the parts of a statement's parse tree as a plan writes them: table and object
// names in the plan's schema, expressions and types as SQL text, column definitions as
// add_column fields, foreign key references. Refuses (Refusal) what an operation cannot say.
// Pure.
#include "planners/convert/converter_internal.hpp"
#include "planners/convert/node_text.hpp"
#include "planners/convert/yaml_text.hpp"
#include "planners/sql/expression.hpp"

#include <algorithm>
#include <cctype>

namespace pgphase::planners::convert::internal {

std::string on_delete_word(const std::string& action) {
    if (action == "r") {
        return "restrict";
    }
    if (action == "c") {
        return "cascade";
    }
    if (action == "n") {
        return "set_null";
    }
    if (action == "d") {
        return "set_default";
    }
    return "no_action";
}

std::string flow_map(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out = "{";
    for (std::size_t i = 0; i < entries.size(); ++i) {
        out += (i == 0 ? "" : ", ") + entries[i].first + ": " + entries[i].second;
    }
    return out + "}";
}

const std::set<std::string>& serial_types() {
    static const std::set<std::string> types = {"serial",  "serial4",     "bigserial",
                                                "serial8", "smallserial", "serial2"};
    return types;
}

std::string serial_base(const std::string& name) {
    if (name == "bigserial" || name == "serial8") {
        return "bigint";
    }
    if (name == "smallserial" || name == "serial2") {
        return "smallint";
    }
    return "integer";
}

std::string Converter::table_of(const json& range_var) const {
    const std::string schema = string_field(range_var, "schemaname");
    if (!schema.empty() && schema != m_schema) {
        throw Refusal{"its table is in schema \"" + schema + "\", the plan's is \"" + m_schema +
                      "\""};
    }
    if (string_field(range_var, "relpersistence") == "t") {
        throw Refusal{"a temporary table"};
    }
    return string_field(range_var, "relname");
}

std::string Converter::object_name(const json& list) const {
    const auto names = string_list(list);
    if (names.empty() || names.size() > 2) {
        throw Refusal{"an object name pgphase cannot read"};
    }
    if (names.size() == 2 && names[0] != m_schema) {
        throw Refusal{"its object is in schema \"" + names[0] + "\", the plan's is \"" + m_schema +
                      "\""};
    }
    return names.back();
}

void Converter::refuse_if_created_here(const std::string& table) const {
    if (m_created.count(table) != 0) {
        throw Refusal{"table " + lint::quote_name(table) +
                      " is created by this migration: nobody reads it yet, so the "
                      "statement runs as written"};
    }
}

std::string Converter::expression(const Statement& statement, const json& node) const {
    const auto text = expression_text(statement.text, node);
    if (!text) {
        throw Refusal{"an expression pgphase could not take from the statement"};
    }
    auto parsed = parse_expression(*text, statement.mark);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        throw Refusal{"`" + *text + "` is not a pgphase expression (" + error->message + ")"};
    }
    return std::get<Expression>(parsed).sql;
}

std::string Converter::type(const Statement& statement, const json& type_name) const {
    if (type_name.value("pct_type", false)) {
        throw Refusal{"a %TYPE reference"};
    }
    const auto text = type_text(statement.text, type_name);
    if (!text) {
        throw Refusal{"a type pgphase could not take from the statement"};
    }
    auto parsed = parse_type_name(*text, statement.mark);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        throw Refusal{"`" + *text + "` is not a type pgphase reads (" + error->message + ")"};
    }
    return std::get<TypeName>(parsed).sql;
}

std::string Converter::type_last_name(const json& type_name) {
    const auto names = string_list(type_name.value("names", json::array()));
    return names.empty() ? std::string() : names.back();
}

Converter::Column Converter::column(const Statement& statement, const json& def,
                                    const std::string& table, bool in_create) const {
    Column out;
    const std::string name = string_field(def, "colname");
    const json& type_name = def.value("typeName", json::object());
    out.entries.emplace_back("name", yaml_scalar(name));
    std::string identity;
    const std::string last = type_last_name(type_name);
    if (serial_types().count(last) != 0 && string_list(type_name["names"]).size() == 1) {
        if (!in_create) {
            throw Refusal{"a serial column added to an existing table (its sequence fills "
                          "every row under an exclusive lock)"};
        }
        out.type = serial_base(last);
        identity = "by_default";
    } else {
        out.type = type(statement, type_name);
    }
    out.entries.emplace_back("type", yaml_scalar(out.type));
    if (def.contains("collClause") || def.contains("raw_default") ||
        def.contains("cooked_default")) {
        throw Refusal{"a column with a collation or a computed default pgphase does not map"};
    }
    std::vector<std::pair<std::string, std::string>> tail;
    for (const json& item : def.value("constraints", json::array())) {
        const json& constraint = item.value("Constraint", json::object());
        const std::string kind = string_field(constraint, "contype");
        const std::string conname = string_field(constraint, "conname");
        if (kind == "CONSTR_NOTNULL") {
            out.not_null = true;
        } else if (kind == "CONSTR_NULL") {
            out.not_null = false;
        } else if (kind == "CONSTR_DEFAULT") {
            out.has_default = true;
            tail.emplace_back("default",
                              yaml_scalar(expression(statement, constraint["raw_expr"])));
        } else if (kind == "CONSTR_PRIMARY" && in_create &&
                   (conname.empty() || conname == table + "_pkey")) {
            out.primary_key = true;
        } else if (kind == "CONSTR_UNIQUE" &&
                   (conname.empty() || conname == table + "_" + name + "_key")) {
            tail.emplace_back("unique", "true");
        } else if (kind == "CONSTR_CHECK" && !constraint.value("skip_validation", false) &&
                   (conname.empty() || conname == table + "_" + name + "_check")) {
            tail.emplace_back("check", yaml_scalar(expression(statement, constraint["raw_expr"])));
        } else if (kind == "CONSTR_FOREIGN" &&
                   (conname.empty() || conname == table + "_" + name + "_fkey")) {
            tail.emplace_back("references", references(constraint));
        } else if (kind == "CONSTR_IDENTITY" && in_create) {
            identity = string_field(constraint, "generated_when") == "a" ? "always" : "by_default";
        } else {
            throw Refusal{"column " + lint::quote_name(name) +
                          " has a constraint pgphase does not map here (" + kind +
                          (conname.empty() ? "" : " " + lint::quote_name(conname)) + ")"};
        }
    }
    if (!identity.empty() && out.has_default) {
        throw Refusal{"an identity column with a default"};
    }
    if (out.not_null || out.primary_key || !identity.empty()) {
        if (out.not_null) {
            out.entries.emplace_back("nullable", "false");
        }
    }
    for (auto& entry : tail) {
        out.entries.push_back(std::move(entry));
    }
    if (out.primary_key) {
        out.entries.emplace_back("primary_key", "true");
    }
    if (!identity.empty()) {
        out.entries.emplace_back("identity", identity);
    }
    return out;
}

std::string Converter::references(const json& constraint) const {
    if (string_field(constraint, "fk_upd_action") != "a" &&
        !string_field(constraint, "fk_upd_action").empty()) {
        throw Refusal{"a column foreign key with ON UPDATE (add_foreign_key says it; the "
                      "column form cannot)"};
    }
    if (string_field(constraint, "fk_matchtype") == "f") {
        throw Refusal{"a foreign key with MATCH FULL"};
    }
    std::vector<std::pair<std::string, std::string>> entries;
    entries.emplace_back("table", yaml_scalar(table_of(constraint["pktable"])));
    const auto columns = string_list(constraint.value("pk_attrs", json::array()));
    if (columns.size() > 1) {
        throw Refusal{"a column foreign key naming several columns"};
    }
    if (columns.size() == 1) {
        entries.emplace_back("column", yaml_scalar(columns[0]));
    }
    const std::string on_delete = on_delete_word(string_field(constraint, "fk_del_action"));
    if (on_delete != "no_action") {
        entries.emplace_back("on_delete", on_delete);
    }
    return flow_map(entries);
}

std::string Converter::references_of_table_key(const json& constraint) const {
    const std::string on_update = string_field(constraint, "fk_upd_action");
    if (!on_update.empty() && on_update != "a") {
        throw Refusal{"a foreign key with ON UPDATE inside CREATE TABLE (create_table's "
                      "foreign keys have no on_update)"};
    }
    if (string_field(constraint, "fk_matchtype") == "f") {
        throw Refusal{"a foreign key with MATCH FULL"};
    }
    std::vector<std::pair<std::string, std::string>> entries;
    entries.emplace_back("table", yaml_scalar(table_of(constraint["pktable"])));
    const auto columns = string_list(constraint.value("pk_attrs", json::array()));
    if (!columns.empty()) {
        entries.emplace_back("columns", yaml_list(columns));
    }
    const std::string on_delete = on_delete_word(string_field(constraint, "fk_del_action"));
    if (on_delete != "no_action") {
        entries.emplace_back("on_delete", on_delete);
    }
    return flow_map(entries);
}

} // namespace pgphase::planners::convert::internal
