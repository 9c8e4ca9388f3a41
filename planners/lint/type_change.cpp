// PostgreSQL decides in ATColumnChangeRequiresRewrite: no rewrite when the conversion is a
// binary-coercible relabel, after the type's support function has simplified a length
// coercion that cannot fail (varchar_support, numeric_support, TemporalSimplify). Pure.
#include "planners/lint/type_change.hpp"

#include <set>

namespace pgphase::planners::lint {

namespace {

constexpr long max_temporal_precision = 6;

bool is_temporal(const std::string& name) {
    // Not interval: its type modifier packs the fields and the precision together.
    return name == "timestamp" || name == "timestamptz" || name == "time" || name == "timetz";
}

bool is_string(const std::string& name) {
    return name == "varchar" || name == "text";
}

TypeChangeVerdict same_kind(const ColumnType& from, const ColumnType& to) {
    const std::string what = from.display() + " to " + to.display();
    if (!from.mods_known || !to.mods_known) {
        return {true, what + " has type modifiers that could not be read"};
    }
    const std::string& name = to.name;
    if (name == "varchar" || name == "varbit") {
        if (to.mods.empty()) {
            return {false, what + " only drops the length limit"};
        }
        if (!from.mods.empty() && to.mods[0] >= from.mods[0]) {
            return {false, what + " only raises the length limit"};
        }
        return {true, what + " checks every value against the new length limit"};
    }
    if (name == "numeric") {
        if (to.mods.empty()) {
            return {false, what + " only drops the precision limit"};
        }
        const long from_scale = from.mods.size() > 1 ? from.mods[1] : 0;
        const long to_scale = to.mods.size() > 1 ? to.mods[1] : 0;
        if (!from.mods.empty() && to_scale == from_scale && to.mods[0] >= from.mods[0]) {
            return {false, what + " only raises the precision"};
        }
        return {true, what + " changes the scale or lowers the precision, so every value is "
                             "rounded again"};
    }
    if (is_temporal(name)) {
        if (to.mods.empty() || to.mods[0] >= max_temporal_precision ||
            (!from.mods.empty() && to.mods[0] >= from.mods[0])) {
            return {false, what + " does not lower the fractional-second precision"};
        }
        return {true, what + " rounds every value to the lower precision"};
    }
    return {true, what + " changes the type modifier"};
}

} // namespace

TypeChangeVerdict classify_type_change(const ColumnType& from, const ColumnType& to,
                                       bool using_is_plain) {
    const std::string what = from.display() + " to " + to.display();
    if (!using_is_plain) {
        return {true, "the USING expression is computed for every row"};
    }
    if (from == to) {
        return {false, "the type does not change"};
    }
    if (from.array_dims != to.array_dims) {
        return {true, what + " is not binary compatible"};
    }
    if (from.array_dims > 0) {
        // ATColumnChangeRequiresRewrite accepts only relabels; an array conversion is an
        // ArrayCoerceExpr over every element, which the planner does not simplify.
        return {true, what + " converts every array element"};
    }
    if (from.name == to.name) {
        return same_kind(from, to);
    }
    if (is_string(from.name) && to.name == "text") {
        return {false, what + " is binary compatible"};
    }
    if (from.name == "text" && to.name == "varchar") {
        if (to.mods.empty()) {
            return {false, what + " is binary compatible"};
        }
        return {true, what + " checks every value against the length limit"};
    }
    if (from.name == "cidr" && to.name == "inet") {
        return {false, what + " is binary compatible"};
    }
    if (from.name == "timestamp" && to.name == "timestamptz") {
        return {true, what + " is not binary compatible (PostgreSQL 12+ skips the rewrite "
                             "only when the session TimeZone is UTC)"};
    }
    return {true, what + " is not binary compatible"};
}

std::string free_sources(const ColumnType& to) {
    if (to.array_dims > 0) {
        return {};
    }
    const bool limited = !to.mods.empty();
    if (to.name == "text") {
        return "from varchar";
    }
    if (to.name == "varchar") {
        return limited ? "from a shorter varchar" : "from varchar(n) or text";
    }
    if (to.name == "varbit") {
        return limited ? "from a shorter varbit" : "from varbit(n)";
    }
    if (to.name == "numeric") {
        return limited ? "from numeric of a smaller precision and the same scale"
                       : "from numeric(p,s)";
    }
    if (to.name == "inet") {
        return "from cidr";
    }
    if (to.name == "timestamptz") {
        return "from timestamptz of a smaller precision, or from timestamp when the session "
               "TimeZone is UTC";
    }
    if (to.name == "timestamp" || to.name == "time" || to.name == "timetz") {
        return "from " + to.name + " of a smaller precision";
    }
    return {};
}

} // namespace pgphase::planners::lint
