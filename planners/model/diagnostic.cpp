// Formatting of located diagnostics. Pure.
#include "planners/model/diagnostic.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {
std::string location(const SourceMark& mark) {
    std::string out = mark.file.empty() ? std::string("<plan>") : mark.file.str();
    if (mark.line > 0) {
        out += ":" + std::to_string(mark.line);
        if (mark.column > 0) {
            out += ":" + std::to_string(mark.column);
        }
    }
    return out;
}

const char* severity_name(Severity severity) {
    switch (severity) {
    case Severity::error:
        return "error";
    case Severity::warning:
        return "warning";
    case Severity::note:
        return "note";
    }
    return "error";
}
} // namespace

std::string format(const Diagnostic& diagnostic) {
    const std::string where = location(diagnostic.mark);
    std::string out = where + ": " + severity_name(diagnostic.severity) + ": " + diagnostic.message;
    if (!diagnostic.hint.empty()) {
        out += "\n" + where + ": hint: " + diagnostic.hint;
    }
    return out;
}

void Diagnostics::error(SourceMark mark, std::string message, std::string hint) {
    m_items.push_back({Severity::error, mark, std::move(message), std::move(hint)});
}

void Diagnostics::warning(SourceMark mark, std::string message, std::string hint) {
    m_items.push_back({Severity::warning, mark, std::move(message), std::move(hint)});
}

void Diagnostics::note(SourceMark mark, std::string message, std::string hint) {
    m_items.push_back({Severity::note, mark, std::move(message), std::move(hint)});
}

bool Diagnostics::has_errors() const {
    return std::any_of(m_items.begin(), m_items.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

std::string Diagnostics::to_string() const {
    std::string out;
    for (const auto& item : m_items) {
        out += format(item);
        out += '\n';
    }
    return out;
}

} // namespace pgphase::planners
