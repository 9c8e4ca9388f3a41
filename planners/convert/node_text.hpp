// Gets the source text of an expression or type name back from libpg_query's parse tree: the
// slice of the statement that parses to the same tree (locations aside). The parse tree
// proves the slice is the node, so nothing is pasted from a guess. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace pgphase::planners::convert {

// The text of expression `node` ({"A_Const": ...}, {"FuncCall": ...}) inside `statement`,
// whose parse tree it comes from; nullopt when no slice parses to it.
std::optional<std::string> expression_text(std::string_view statement, const nlohmann::json& node);

// The same for a TypeName node (its inner object, as in ColumnDef's "typeName").
std::optional<std::string> type_text(std::string_view statement, const nlohmann::json& type_name);

} // namespace pgphase::planners::convert
