// Lint output in three formats. Text is for people (compiler-style first line, so editors
// jump to it); JSON for tools; `github` prints workflow commands that GitHub Actions turns
// into annotations on the pull request's diff. Pure.
#include "planners/lint/render.hpp"

#include "planners/model/text.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace pgphase::planners::lint {

namespace {

std::string location(const SourceMark& mark) {
    return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
}

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

} // namespace

static void write_text(const LintResult& result, std::ostream& out) {
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
}

std::string render_text(const LintResult& result) {
    std::ostringstream out;
    write_text(result, out);
    return out.str();
}

namespace {

nlohmann::json finding_json(const Finding& finding) {
    return {{"file", finding.mark.file},
            {"line", finding.mark.line},
            {"column", finding.mark.column},
            {"end_line", std::max(finding.end_line, finding.mark.line)},
            {"severity", level_name(finding.level)},
            {"rule", finding.rule},
            {"message", finding.message},
            {"statement", finding.excerpt},
            {"lock", finding.lock},
            {"effect", finding.effect},
            {"hint", finding.hint}};
}

nlohmann::json summary_json(const LintResult& result) {
    return {{"files", result.files},
            {"statements", result.statements},
            {"errors", result.count(Level::error)},
            {"warnings", result.count(Level::warning)},
            {"infos", result.count(Level::info)}};
}

// `value` as dump(2) prints it `depth` levels down in an enclosing document.
std::string dump_at(const nlohmann::json& value, int depth) {
    const std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string margin(static_cast<std::size_t>(depth) * 2, ' ');
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        out += c;
        if (c == '\n') {
            out += margin; // strings hold no raw newline: dump escapes it
        }
    }
    return out;
}

} // namespace

nlohmann::json render_json(const LintResult& result) {
    nlohmann::json findings = nlohmann::json::array();
    for (const Finding& finding : result.findings) {
        findings.push_back(finding_json(finding));
    }
    return {{"findings", findings},
            {"input_errors", result.input_errors},
            {"summary", summary_json(result)}};
}

static void write_json(const LintResult& result, std::ostream& out) {
    // render_json(result).dump(2), written one finding at a time: a document of every
    // finding takes several times the memory of its text.
    out << "{\n  \"findings\": [";
    for (std::size_t i = 0; i < result.findings.size(); ++i) {
        out << (i == 0 ? "\n    " : ",\n    ") << dump_at(finding_json(result.findings[i]), 2);
    }
    out << (result.findings.empty() ? "]" : "\n  ]")
        << ",\n  \"input_errors\": " << dump_at(result.input_errors, 1)
        << ",\n  \"summary\": " << dump_at(summary_json(result), 1) << "\n}\n";
}

static void write_github(const LintResult& result, std::ostream& out) {
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
        out << "::" << command << " file=" << github_escape_property(finding.mark.file)
            << ",line=" << finding.mark.line
            << (finding.end_line > finding.mark.line
                    ? ",endLine=" + std::to_string(finding.end_line)
                    : std::string())
            << ",col=" << finding.mark.column << ",title=" << github_escape_property(finding.rule)
            << "::" << github_escape_data(message) << "\n";
    }
    for (const std::string& error : result.input_errors) {
        out << "::error::" << github_escape_data(error) << "\n";
    }
}

std::string render_github(const LintResult& result) {
    std::ostringstream out;
    write_github(result, out);
    return out.str();
}

void write(const LintResult& result, OutputFormat format, std::ostream& out) {
    switch (format) {
    case OutputFormat::as_json:
        write_json(result, out);
        return;
    case OutputFormat::as_github:
        write_github(result, out);
        return;
    case OutputFormat::as_text:
        break;
    }
    write_text(result, out);
}

std::string render(const LintResult& result, OutputFormat format) {
    std::ostringstream out;
    write(result, format, out);
    return out.str();
}

} // namespace pgphase::planners::lint
