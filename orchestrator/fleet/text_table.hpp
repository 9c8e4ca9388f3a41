// A plain-text table for a fleet command's output: cells left-aligned in columns as wide as
// their widest cell, two spaces apart, no trailing blanks.
#pragma once

#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

std::string text_table(const std::vector<std::vector<std::string>>& rows);

} // namespace pgphase::orchestrator::fleet
