// Plain text for a fleet command's summary. The table: cells left-aligned in columns as wide as
// their widest cell, two spaces apart, no trailing blanks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgphase::orchestrator::fleet {

std::string text_table(const std::vector<std::vector<std::string>>& rows);

// "2.4s": milliseconds as seconds with one decimal.
std::string seconds_text(std::int64_t ms);

// A message's first line, for a table cell.
std::string first_line(const std::string& text);

} // namespace pgphase::orchestrator::fleet
