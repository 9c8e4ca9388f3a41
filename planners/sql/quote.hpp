// Quoting for SQL built by pgphase: every identifier from a plan goes through quote_ident,
// every string through quote_literal. Nothing is pasted into SQL any other way. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgphase::planners {

// Always double-quotes, doubling embedded quotes: users -> "users", we"ird -> "we""ird".
std::string quote_ident(std::string_view identifier);

// Standard-conforming string literal: it's -> 'it''s'. Rejects nothing; NUL cannot reach here.
std::string quote_literal(std::string_view text);

// Why `identifier` cannot name a PostgreSQL object, or nullopt when it can.
std::optional<std::string> identifier_problem(std::string_view identifier);

// A name pgphase derives for an object it creates (trigger, function, constraint). Parts are
// joined with '_'; past 63 bytes it is cut and suffixed with a hash, so it stays unique.
std::string derived_name(std::initializer_list<std::string_view> parts);

// The parts joined by "_", as PostgreSQL's derived names join column names.
std::string joined(const std::vector<std::string>& parts);

// FNV-1a 64-bit, as 16 hex digits. For change detection, not security.
std::string fnv1a_hex(std::string_view text);

} // namespace pgphase::planners

namespace pgphase::planners {

// Dollar-quotes a function body with a tag that does not occur in it: $pgphase$ ... $pgphase$.
std::string dollar_quote(std::string_view body);

} // namespace pgphase::planners
