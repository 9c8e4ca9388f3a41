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

// Fields put at the front of every line this thread logs while a Context lives, e.g. the fleet
// target a thread runs (target=shard-01). Contexts nest (an inner one adds its fields); each
// restores the one before. A pool thread working for such a thread takes the caller's fields with
// Context(context()).
class Context {
public:
    explicit Context(Fields fields);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

private:
    Fields m_previous;
};

// This thread's context fields (empty outside any Context).
const Fields& context();

// On a terminal: lines kept at the bottom of stderr, under the log (a fleet run's live line per
// target). Log lines are written above them and the block is drawn again below. Each call
// replaces the block; an empty list removes it. Lines must fit the terminal's width.
void show_block(std::vector<std::string> lines);

} // namespace pgphase::orchestrator::log
