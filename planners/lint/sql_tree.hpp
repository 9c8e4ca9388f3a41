// Reading libpg_query's JSON parse tree: relation and type names, string lists, whether an
// expression is known to be non-volatile. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners::lint {

using nlohmann::json;

// A table as the catalog keys it: schema "public" when unqualified.
struct TableName {
    std::string schema = "public";
    std::string name;

    std::string key() const { return schema + "." + name; }
    std::string display() const; // "users" or "audit"."log", quoted as PostgreSQL would
};

// A column type as written, canonicalised: `integer` -> int4, `character varying` -> varchar.
struct ColumnType {
    std::string name;       // canonical name, without pg_catalog
    std::vector<long> mods; // integer type modifiers: varchar(80) -> {80}
    bool mods_known = true; // false when a modifier is not an integer literal
    int array_dims = 0;

    bool operator==(const ColumnType& other) const;
    std::string display() const; // varchar(80), bigint, "Role"[]
};

// The value of node[key] as a string, "" when absent.
std::string string_field(const json& node, const char* key);

// ["a", "b"] from [{"String": {"sval": "a"}}, ...].
std::vector<std::string> string_list(const json& list);

// From a RangeVar node ({"relname": ..., "schemaname": ...}).
TableName table_from_range_var(const json& range_var);

// From a TypeName node.
ColumnType column_type(const json& type_name);

// format_type() text ("character varying(80)", "timestamp(3) without time zone", "\"Role\"[]")
// as a ColumnType, through the parser; nullopt when it does not parse as a type.
std::optional<ColumnType> parse_format_type(const std::string& text);

// The identifier quoted only when it needs to be, as in messages.
std::string quote_name(const std::string& name);

// Whether a ReindexStmt body asks for CONCURRENTLY (an option in its params).
bool reindex_is_concurrent(const json& reindex);

// Whether a TransactionStmt kind opens a transaction block: BEGIN or START TRANSACTION.
bool opens_transaction(const std::string& transaction_kind);

// The column of a `CHECK (col IS NOT NULL)` Constraint node, "" for any other constraint.
std::string not_null_check_column(const json& constraint);

// Column names a rename plausibly connects: equal but for case and underscores (userId,
// user_id), or one holding the other where the shorter is at least four characters and half
// the longer (value, valueJson; clientSecre, clientSecret). For a dropped column whose type is
// unknown (lint's probable-rename, convert's rename guess).
bool similar_names(const std::string& a, const std::string& b);

enum class Volatility { constant, stable, volatile_, unknown };

struct VolatilityVerdict {
    Volatility volatility = Volatility::constant;
    std::string culprit; // the function that makes it volatile or unknown
};

// Whether a default expression is evaluated once (constant or stable, so ADD COLUMN stores
// it in the catalog) or per row (volatile, or a function not known to be non-volatile).
VolatilityVerdict default_volatility(const json& expression);

} // namespace pgphase::planners::lint
