// Pieces of the plan checksum's canonical text that several operations share: lists of names,
// references, column constraints. Quoted, so no two different plans collide. Pure.
#pragma once

#include "planners/model/plan.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners::canonical {

// " ( a b )"
std::string columns(const std::vector<std::string>& names);
// "[a,b,]"
std::string names(const std::vector<std::string>& list);
// " ref=t[a,] on_delete=CASCADE"
std::string reference(const ForeignKeyReference& ref);
// " unique check='…' ref=…", "" for a column without them (so older checksums hold)
std::string column_constraints(const ColumnDefinition& column);
// The expression's canonical SQL as a literal, or "-".
std::string optional_expression(const std::optional<Expression>& expression);

} // namespace pgphase::planners::canonical
