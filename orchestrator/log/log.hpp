// Event logging through spdlog: stable event names with key=value fields on a terminal, one
// JSON object per line with --log-format json. Never a DSN password or a row value.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pgphase::orchestrator::log {

enum class Format { text, json };

void init(Format format, bool verbose);

using Fields = std::vector<std::pair<std::string, std::string>>;

void info(const std::string& event, const Fields& fields = {});
void warn(const std::string& event, const Fields& fields = {});
void error(const std::string& event, const Fields& fields = {});
void debug(const std::string& event, const Fields& fields = {});

} // namespace pgphase::orchestrator::log
