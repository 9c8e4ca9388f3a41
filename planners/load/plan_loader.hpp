// YAML -> Plan, with every problem reported at file:line:column. Unknown keys and operations
// are errors, never silently ignored. Pure apart from reading the file.
#pragma once

#include "planners/model/diagnostic.hpp"
#include "planners/model/plan.hpp"

#include <optional>
#include <string>

namespace pgphase::planners {

struct LoadResult {
    std::optional<Plan> plan; // set only when there are no errors
    Diagnostics diagnostics;
};

LoadResult load_plan_text(const std::string& text, const std::string& file_name);
LoadResult load_plan_file(const std::string& path);

// "500ms", "2s", "10m", "1h", "7d" -> milliseconds; nullopt if malformed.
std::optional<Milliseconds> parse_duration(const std::string& text);

// "512", "64kB", "256MB", "1GB" -> bytes (1024-based, as PostgreSQL's settings); nullopt if
// malformed.
std::optional<std::int64_t> parse_bytes(const std::string& text);

} // namespace pgphase::planners
