// spdlog sinks and the two line formats.
#include "orchestrator/log/log.hpp"

#include <array>
#include <iterator>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <utility>

namespace pgphase::orchestrator::log {

namespace {

Format g_format = Format::text;
thread_local Fields t_context; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

std::shared_ptr<spdlog::logger> logger() {
    static std::shared_ptr<spdlog::logger> instance = [] {
        auto created = spdlog::stderr_color_mt("pgphase");
        created->set_pattern("%H:%M:%S.%e %^%l%$ %v");
        return created;
    }();
    return instance;
}

bool needs_quotes(const std::string& value) {
    return value.empty() || value.find_first_of(" \"=\t\n") != std::string::npos;
}

std::string line(const std::string& event, const Fields& fields) {
    if (g_format == Format::json) {
        nlohmann::json object = {{"event", event}};
        for (const Fields* part : std::array<const Fields*, 2>{&t_context, &fields}) {
            for (const auto& [key, value] : *part) {
                object[key] = value;
            }
        }
        return object.dump();
    }
    std::string out = event;
    for (const Fields* part : std::array<const Fields*, 2>{&t_context, &fields}) {
        for (const auto& [key, value] : *part) {
            out += " " + key + "=";
            out += needs_quotes(value) ? nlohmann::json(value).dump() : value;
        }
    }
    return out;
}

} // namespace

void init(Format format, bool verbose) {
    g_format = format;
    auto instance = logger();
    if (format == Format::json) {
        instance->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":%v})");
    }
    instance->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
}

Context::Context(Fields fields)
    : m_previous(t_context) {
    t_context.insert(t_context.end(), std::make_move_iterator(fields.begin()),
                     std::make_move_iterator(fields.end()));
}

Context::~Context() {
    t_context = std::move(m_previous);
}

const Fields& context() {
    return t_context;
}

void info(const std::string& event, const Fields& fields) {
    logger()->info(line(event, fields));
}
void warn(const std::string& event, const Fields& fields) {
    logger()->warn(line(event, fields));
}
void error(const std::string& event, const Fields& fields) {
    logger()->error(line(event, fields));
}
void debug(const std::string& event, const Fields& fields) {
    logger()->debug(line(event, fields));
}

} // namespace pgphase::orchestrator::log
