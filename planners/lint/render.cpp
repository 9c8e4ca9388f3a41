// Lint output in three formats. Text is for people (compiler-style first line, so editors
// jump to it); JSON for tools; `github` prints workflow commands that GitHub Actions turns
// into annotations on the pull request's diff. Pure.
#include "planners/lint/render.hpp"

#include "planners/model/text.hpp"

#include <algorithm>
#include <sstream>

namespace pgphase::planners::lint {

namespace {

std::string location(const SourceMark& mark) {
    return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
}

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Workflow commands: data escapes %, CR, LF; properties also `:` and `,`.
std::string escape_data(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '%') {
            out += "%25";
        } else if (c == '\r') {
            out += "%0D";
        } else if (c == '\n') {
            out += "%0A";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_property(const std::string& text) {
    std::string out;
    for (char c : escape_data(text)) {
        if (c == ':') {
            out += "%3A";
        } else if (c == ',') {
            out += "%2C";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

std::string render_text(const LintResult& result) {
    std::ostringstream out;
    for (const Finding& finding : result.findings) {
        out << location(finding.mark) << ": " << level_name(finding.level) << ": [" << finding.rule
            << "] " << finding.message << "\n";
        if (!finding.excerpt.empty()) {
            out << indent(finding.excerpt, "    | ") << "\n";
        }
        if (!finding.lock.empty() || !finding.effect.empty()) {
            out << "    lock: " << (finding.lock.empty() ? "-" : finding.lock) << "; "
                << (finding.effect.empty() ? "-" : finding.effect) << "\n";
        }
        if (!finding.hint.empty()) {
            out << "    hint: " << finding.hint << "\n";
        }
    }
    for (const std::string& error : result.input_errors) {
        out << "error: " << error << "\n";
    }
    out << plural(result.count(Level::error), "error") << ", "
        << plural(result.count(Level::warning), "warning") << ", "
        << plural(result.count(Level::info), "info") << " in " << plural(result.files, "file")
        << " (" << plural(result.statements, "statement") << ")\n";
    return out.str();
}

nlohmann::json render_json(const LintResult& result) {
    nlohmann::json findings = nlohmann::json::array();
    for (const Finding& finding : result.findings) {
        findings.push_back({{"file", finding.mark.file},
                            {"line", finding.mark.line},
                            {"column", finding.mark.column},
                            {"end_line", std::max(finding.end_line, finding.mark.line)},
                            {"severity", level_name(finding.level)},
                            {"rule", finding.rule},
                            {"message", finding.message},
                            {"statement", finding.excerpt},
                            {"lock", finding.lock},
                            {"effect", finding.effect},
                            {"hint", finding.hint}});
    }
    return {{"findings", findings},
            {"input_errors", result.input_errors},
            {"summary",
             {{"files", result.files},
              {"statements", result.statements},
              {"errors", result.count(Level::error)},
              {"warnings", result.count(Level::warning)},
              {"infos", result.count(Level::info)}}}};
}

std::string render_github(const LintResult& result) {
    std::ostringstream out;
    for (const Finding& finding : result.findings) {
        const char* command = finding.level == Level::error     ? "error"
                              : finding.level == Level::warning ? "warning"
                                                                : "notice";
        std::string message = finding.message;
        if (!finding.lock.empty() || !finding.effect.empty()) {
            message += "\nlock: " + finding.lock + "; " + finding.effect;
        }
        if (!finding.hint.empty()) {
            message += "\nhint: " + finding.hint;
        }
        out << "::" << command << " file=" << escape_property(finding.mark.file)
            << ",line=" << finding.mark.line
            << (finding.end_line > finding.mark.line
                    ? ",endLine=" + std::to_string(finding.end_line)
                    : std::string())
            << ",col=" << finding.mark.column << ",title=" << escape_property(finding.rule)
            << "::" << escape_data(message) << "\n";
    }
    for (const std::string& error : result.input_errors) {
        out << "::error::" << escape_data(error) << "\n";
    }
    return out.str();
}

std::string render(const LintResult& result, OutputFormat format) {
    switch (format) {
    case OutputFormat::as_json:
        return render_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
               "\n";
    case OutputFormat::as_github:
        return render_github(result);
    case OutputFormat::as_text:
        break;
    }
    return render_text(result);
}

} // namespace pgphase::planners::lint
