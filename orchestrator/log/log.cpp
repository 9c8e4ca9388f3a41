// spdlog sinks and the two line formats.
#include "orchestrator/log/log.hpp"

#include <array>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <utility>

namespace pgphase::orchestrator::log {

namespace {

Format g_format = Format::text;
thread_local Fields t_context; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

// stderr, as spdlog's color sink writes it, with a block of lines kept under the log lines.
class BlockSink final : public spdlog::sinks::sink {
public:
    void log(const spdlog::details::log_msg& message) override {
        const std::lock_guard<std::mutex> lock(m_mutex);
        erase();
        m_stderr.log(message);
        m_stderr.flush();
        draw();
    }
    void flush() override {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_stderr.flush();
    }
    void set_pattern(const std::string& pattern) override {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_stderr.set_pattern(pattern);
    }
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_stderr.set_formatter(std::move(formatter));
    }
    void show(std::vector<std::string> lines) {
        const std::lock_guard<std::mutex> lock(m_mutex);
        erase();
        m_lines = std::move(lines);
        draw();
    }

private:
    // Up to the block's first line, and clear from there down.
    void erase() {
        if (m_drawn > 0) {
            std::fprintf(stderr, "\033[%zuA\033[J", m_drawn);
            m_drawn = 0;
        }
    }
    void draw() {
        for (const std::string& line : m_lines) {
            std::fprintf(stderr, "%s\033[K\n", line.c_str());
        }
        m_drawn = m_lines.size();
        std::fflush(stderr);
    }

    std::mutex m_mutex;
    spdlog::sinks::ansicolor_stderr_sink_st m_stderr;
    std::vector<std::string> m_lines;
    std::size_t m_drawn = 0;
};

std::shared_ptr<BlockSink> block_sink() {
    static std::shared_ptr<BlockSink> instance = std::make_shared<BlockSink>();
    return instance;
}

std::shared_ptr<spdlog::logger> logger() {
    static std::shared_ptr<spdlog::logger> instance = [] {
        auto created = std::make_shared<spdlog::logger>("pgphase", block_sink());
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

void show_block(std::vector<std::string> lines) {
    block_sink()->show(std::move(lines));
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
