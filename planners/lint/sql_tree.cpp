// Reading libpg_query's JSON parse tree. Type names are canonicalised the way PostgreSQL
// stores them (pg_type.typname), so `INTEGER` and `int4` compare equal. Pure.
#include "planners/lint/sql_tree.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <pg_query.h>
#include <set>

namespace pgphase::planners::lint {

namespace {

std::string canonical_type_name(const std::string& name) {
    static const std::map<std::string, std::string> aliases = {
        {"int", "int4"},
        {"integer", "int4"},
        {"smallint", "int2"},
        {"bigint", "int8"},
        {"serial4", "serial"},
        {"serial8", "bigserial"},
        {"serial2", "smallserial"},
        {"character varying", "varchar"},
        {"character", "bpchar"},
        {"char", "bpchar"},
        {"decimal", "numeric"},
        {"real", "float4"},
        {"double precision", "float8"},
        {"boolean", "bool"},
        {"timestamp without time zone", "timestamp"},
        {"timestamp with time zone", "timestamptz"},
        {"time without time zone", "time"},
        {"time with time zone", "timetz"},
        {"bit varying", "varbit"},
    };
    const auto alias = aliases.find(name);
    return alias == aliases.end() ? name : alias->second;
}

std::string display_type_name(const std::string& name) {
    static const std::map<std::string, std::string> names = {
        {"int4", "integer"}, {"int8", "bigint"},  {"int2", "smallint"},
        {"bpchar", "char"},  {"bool", "boolean"}, {"float8", "double precision"},
        {"float4", "real"},
    };
    const auto known = names.find(name);
    if (known != names.end()) {
        return known->second;
    }
    return quote_name(name);
}

enum class Rank { constant, stable, unknown, volatile_ };

struct Walk {
    Rank rank = Rank::constant;
    std::string culprit;

    void raise(Rank to, const std::string& why) {
        if (to > rank) {
            rank = to;
            culprit = why;
        }
    }
};

const std::set<std::string>& volatile_functions() {
    static const std::set<std::string> names = {
        "random",           "gen_random_uuid",   "uuid_generate_v1", "uuid_generate_v1mc",
        "uuid_generate_v4", "clock_timestamp",   "timeofday",        "nextval",
        "txid_current",     "gen_random_bytes",  "setseed",          "uuidv7",
        "uuidv4",           "pg_current_xact_id"};
    return names;
}

// Functions PostgreSQL marks immutable or stable: a default built from them is evaluated
// once by ADD COLUMN and stored in the catalog (PostgreSQL 11+), so no rewrite.
const std::set<std::string>& non_volatile_functions() {
    static const std::set<std::string> names = {"now",
                                                "transaction_timestamp",
                                                "statement_timestamp",
                                                "current_timestamp",
                                                "current_date",
                                                "localtimestamp",
                                                "lower",
                                                "upper",
                                                "btrim",
                                                "trim",
                                                "length",
                                                "concat",
                                                "to_jsonb",
                                                "to_json",
                                                "jsonb_build_object",
                                                "json_build_object",
                                                "jsonb_build_array",
                                                "json_build_array",
                                                "array_fill",
                                                "make_interval",
                                                "to_timestamp",
                                                "to_char",
                                                "date_trunc",
                                                "timezone",
                                                "md5",
                                                "abs",
                                                "round",
                                                "greatest",
                                                "least",
                                                "current_setting",
                                                "replace",
                                                "substring",
                                                "left",
                                                "right",
                                                "jsonb_object",
                                                "json_object",
                                                "array_to_json",
                                                "row_to_json"};
    return names;
}

void walk_expression(const json& node, Walk& walk);

void walk_all(const json& nodes, Walk& walk) {
    if (nodes.is_array()) {
        for (const json& item : nodes) {
            walk_expression(item, walk);
        }
    }
}

void walk_expression(const json& node, Walk& walk) {
    if (!node.is_object() || node.empty()) {
        return;
    }
    const std::string& kind = node.begin().key();
    const json& body = node.begin().value();
    if (kind == "A_Const") {
        return;
    }
    if (kind == "TypeCast" || kind == "NullTest") {
        walk_expression(body.value("arg", json()), walk);
    } else if (kind == "SQLValueFunction") {
        walk.raise(Rank::stable, "");
    } else if (kind == "FuncCall") {
        const std::vector<std::string> names = string_list(body.value("funcname", json::array()));
        std::string name = names.empty() ? std::string() : names.back();
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (volatile_functions().count(name) != 0) {
            walk.raise(Rank::volatile_, name + "()");
        } else if (non_volatile_functions().count(name) != 0) {
            walk.raise(Rank::stable, "");
        } else {
            walk.raise(Rank::unknown, name + "()");
        }
        walk_all(body.value("args", json::array()), walk);
    } else if (kind == "A_Expr") {
        walk.raise(Rank::stable, "");
        walk_expression(body.value("lexpr", json()), walk);
        const json& right = body.value("rexpr", json());
        if (right.is_array()) {
            walk_all(right, walk);
        } else {
            walk_expression(right, walk);
        }
    } else if (kind == "A_ArrayExpr") {
        walk_all(body.value("elements", json::array()), walk);
    } else if (kind == "CoalesceExpr" || kind == "MinMaxExpr" || kind == "BoolExpr" ||
               kind == "RowExpr") {
        walk_all(body.value("args", json::array()), walk);
    } else if (kind == "List") {
        walk_all(body.value("items", json::array()), walk);
    } else {
        walk.raise(Rank::unknown, "a " + kind + " expression");
    }
}

bool needs_quotes(const std::string& name) {
    if (name.empty() ||
        !(std::islower(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_')) {
        return true;
    }
    return !std::all_of(name.begin(), name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return std::islower(u) != 0 || std::isdigit(u) != 0 || c == '_' || c == '$';
    });
}

} // namespace

bool similar_names(const std::string& a, const std::string& b) {
    auto folded = [](const std::string& name) {
        std::string out;
        for (char c : name) {
            if (c != '_') {
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
        }
        return out;
    };
    const std::string x = folded(a);
    const std::string y = folded(b);
    const std::string& shorter = x.size() <= y.size() ? x : y;
    const std::string& longer = x.size() <= y.size() ? y : x;
    return shorter == longer || (shorter.size() >= 4 && shorter.size() * 2 >= longer.size() &&
                                 longer.find(shorter) != std::string::npos);
}

std::string quote_name(const std::string& name) {
    if (!needs_quotes(name)) {
        return name;
    }
    std::string out = "\"";
    for (char c : name) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

std::string TableName::display() const {
    return schema == "public" ? quote_name(name) : quote_name(schema) + "." + quote_name(name);
}

bool ColumnType::operator==(const ColumnType& other) const {
    return name == other.name && mods == other.mods && mods_known == other.mods_known &&
           array_dims == other.array_dims;
}

std::string ColumnType::display() const {
    std::string out = display_type_name(name);
    if (!mods.empty()) {
        out += "(";
        for (std::size_t i = 0; i < mods.size(); ++i) {
            out += (i == 0 ? "" : ",") + std::to_string(mods[i]);
        }
        out += ")";
    }
    for (int i = 0; i < array_dims; ++i) {
        out += "[]";
    }
    return out;
}

std::string string_field(const json& node, const char* key) {
    if (!node.is_object()) {
        return {};
    }
    const auto it = node.find(key);
    return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> string_list(const json& list) {
    std::vector<std::string> out;
    const json& items = list.is_object() && list.contains("List")
                            ? list.at("List").value("items", json::array())
                            : list;
    if (!items.is_array()) {
        return out;
    }
    for (const json& item : items) {
        if (item.contains("String")) {
            out.push_back(item.at("String").value("sval", ""));
        }
    }
    return out;
}

TableName table_from_range_var(const json& range_var) {
    TableName table;
    table.name = string_field(range_var, "relname");
    if (const std::string schema = string_field(range_var, "schemaname"); !schema.empty()) {
        table.schema = schema;
    }
    return table;
}

ColumnType column_type(const json& type_name) {
    ColumnType type;
    std::vector<std::string> names = string_list(type_name.value("names", json::array()));
    if (!names.empty()) {
        type.name = canonical_type_name(names.back());
    }
    for (const json& mod : type_name.value("typmods", json::array())) {
        if (mod.contains("A_Const") && mod.at("A_Const").contains("ival")) {
            type.mods.push_back(mod.at("A_Const").at("ival").value("ival", 0L));
        } else {
            type.mods_known = false;
        }
    }
    type.array_dims = static_cast<int>(type_name.value("arrayBounds", json::array()).size());
    return type;
}

VolatilityVerdict default_volatility(const json& expression) {
    Walk walk;
    walk_expression(expression, walk);
    switch (walk.rank) {
    case Rank::constant:
        return {Volatility::constant, ""};
    case Rank::stable:
        return {Volatility::stable, ""};
    case Rank::unknown:
        return {Volatility::unknown, walk.culprit};
    case Rank::volatile_:
        return {Volatility::volatile_, walk.culprit};
    }
    return {Volatility::unknown, walk.culprit};
}

bool reindex_is_concurrent(const json& reindex) {
    for (const json& param : reindex.value("params", json::array())) {
        if (string_field(param.value("DefElem", json::object()), "defname") == "concurrently") {
            return true;
        }
    }
    return false;
}

bool opens_transaction(const std::string& transaction_kind) {
    return transaction_kind == "TRANS_STMT_BEGIN" || transaction_kind == "TRANS_STMT_START";
}

std::string not_null_check_column(const json& constraint) {
    if (string_field(constraint, "contype") != "CONSTR_CHECK") {
        return {};
    }
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

// format_type() text ("character varying(80)", "timestamp(3) without time zone", "\"Role\"[]")
// as a ColumnType, through the parser: `SELECT NULL::<type>`.
std::optional<ColumnType> parse_format_type(const std::string& text) {
    std::optional<ColumnType> out;
    const std::string sql = "SELECT NULL::" + text;
    PgQueryParseResult parsed = pg_query_parse(sql.c_str());
    if (parsed.error == nullptr) {
        const json tree = json::parse(parsed.parse_tree);
        const json& target = tree.at("stmts")[0].at("stmt").at("SelectStmt").at("targetList")[0];
        const json& value = target.at("ResTarget").at("val");
        if (value.contains("TypeCast")) {
            out = column_type(value.at("TypeCast").value("typeName", json::object()));
        }
    }
    pg_query_free_parse_result(parsed);
    return out;
}

} // namespace pgphase::planners::lint
