// Parses plan expressions and type names with the real PostgreSQL parser (libpg_query), so
// that `x; DROP TABLE t` is bad input rather than a statement. Pure.
#pragma once

#include "planners/model/plan.hpp"

#include <optional>
#include <string>
#include <variant>

namespace pgphase::planners {

struct ParseError {
    std::string message;
    int offset = 0; // 0-based byte offset into the text, where the parser stopped
};

// Exactly one scalar expression: no statement separators, no FROM/WHERE, no alias, and
// every column reference unqualified (it is evaluated over one row of one table).
std::variant<Expression, ParseError> parse_expression(const std::string& text,
                                                      const SourceMark& mark);

// Why `sql` is not exactly one SELECT statement, or nullopt when it is.
std::optional<std::string> query_problem(const std::string& sql);

// Exactly one type name, possibly with modifiers and array bounds.
std::variant<TypeName, ParseError> parse_type_name(const std::string& text, const SourceMark& mark);

} // namespace pgphase::planners
