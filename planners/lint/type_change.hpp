// Whether ALTER COLUMN ... TYPE rewrites the table, by PostgreSQL's rules: a binary-coercible
// cast with no narrowing type modifier (varchar(n) -> text, varchar(n) -> varchar(m >= n),
// numeric(p,s) -> numeric(q >= p,s), timestamp(p) -> timestamp(q >= p)) only updates the
// catalog; anything else computes every row again. Pure.
#pragma once

#include "planners/lint/sql_tree.hpp"

#include <string>

namespace pgphase::planners::lint {

struct TypeChangeVerdict {
    bool rewrites = true;
    std::string reason; // why, for the message: "int4 to int8 is not binary compatible"
};

// `using_is_plain`: no USING clause, or USING is the column itself (cast to the new type).
TypeChangeVerdict classify_type_change(const ColumnType& from, const ColumnType& to,
                                       bool using_is_plain);

// The old types that convert to `to` without a rewrite, in words ("from varchar" for text),
// "" when none does (bigint, jsonb): whether not knowing the old type leaves the question open.
std::string free_sources(const ColumnType& to);

} // namespace pgphase::planners::lint
