// Small text helpers shared by the renderers (plan steps, lint findings). Pure.
#pragma once

#include <string>

namespace pgphase::planners {

// `text` with `prefix` before its first line and after every newline.
std::string indent(const std::string& text, const std::string& prefix);

} // namespace pgphase::planners
