// "Did you mean" for names: the closest of a few choices by edit distance. Pure.
#pragma once

#include <string>
#include <vector>

namespace pgphase::planners {

// The choice at most two edits away from `word` (the closest), or "" when none is.
std::string closest(const std::string& word, const std::vector<std::string>& choices);

// `did you mean "x"?`, or "" when nothing is close.
std::string did_you_mean_hint(const std::string& word, const std::vector<std::string>& choices);

} // namespace pgphase::planners
