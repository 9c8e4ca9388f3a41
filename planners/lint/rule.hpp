// The lint rules as data: id, severity, lock, effect on the table and the safe alternative.
// Checks (rules/*.cpp) decide when a rule fires; this table says what it means. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgphase::planners::lint {

// error = blocks reads or writes for the length of a scan or rewrite, fails at runtime on a
// populated table, or loses data; warning = risky but bounded; info = style.
enum class Level { error, warning, info };

std::string_view level_name(Level level);

struct RuleInfo {
    std::string_view id; // kebab-case, what `--disable` and `pgphase:ignore` take
    Level level = Level::error;
    std::string_view lock;    // the lock the statement takes on the table, e.g. "ACCESS EXCLUSIVE"
    std::string_view effect;  // "rewrites the table", "scans the table", "no scan", ...
    std::string_view hint;    // the safe alternative, one line
    std::string_view summary; // what the rule catches, for docs and `--list-rules`
};

// Every rule, in documentation order.
const std::vector<RuleInfo>& all_rules();

// nullptr when no rule has this id.
const RuleInfo* find_rule(std::string_view id);

// The rule for `id`; asserts it exists (a check naming an unknown rule is a programmer error).
const RuleInfo& rule(std::string_view id);

} // namespace pgphase::planners::lint
