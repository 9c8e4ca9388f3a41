// YAML scalars for the plans `convert` writes: identifiers plain only when YAML reads them back
// unchanged, everything else double-quoted; SQL as literal blocks. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgphase::planners::convert {

// users -> users, select -> select, User -> "User", quo"te -> "quo\"te".
// Plain only for [a-z_][a-z0-9_]* that YAML does not read as a boolean or null.
std::string yaml_scalar(std::string_view text);

// A flow sequence of scalars: [a, "B"].
std::string yaml_list(const std::vector<std::string>& items);

// A `|` literal block holding `text`, its lines indented by `indent` spaces (the key is not
// included): "|\n      line1\n      line2".
std::string yaml_block(std::string_view text, int indent);

} // namespace pgphase::planners::convert
