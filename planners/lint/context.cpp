// Turning a rule hit into a Finding: the rule's facts, unless the check refines them, and
// the statement's `pgphase:ignore` directives applied. Pure.
#include "planners/lint/context.hpp"

#include <algorithm>

namespace pgphase::planners::lint {

std::string excerpt(std::string_view statement_text) {
    std::string out;
    std::size_t lines = 0;
    std::size_t start = 0;
    while (start <= statement_text.size()) {
        const std::size_t end = std::min(statement_text.find('\n', start), statement_text.size());
        if (lines == excerpt_lines) {
            out += "\n...";
            break;
        }
        std::string line(statement_text.substr(start, end - start));
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.pop_back();
        }
        out += (lines == 0 ? "" : "\n") + line;
        ++lines;
        start = end + 1;
    }
    return out;
}

void CheckContext::report(std::string_view rule_id, std::string message, Details details) {
    report_at(m_index, rule_id, std::move(message), std::move(details));
}

void CheckContext::report_at(std::size_t at, std::string_view rule_id, std::string message,
                             Details details) {
    const Statement& statement = m_file.statements()[at];
    const bool ignored =
        std::any_of(statement.ignores.begin(), statement.ignores.end(),
                    [&](const IgnoreDirective& directive) { return directive.rule == rule_id; });
    if (ignored) {
        return;
    }
    const RuleInfo& info = rule(rule_id);
    Finding finding;
    finding.rule = std::string(rule_id);
    finding.level = details.level.value_or(info.level);
    finding.mark = statement.mark;
    finding.end_line = statement.end_line;
    finding.message = std::move(message);
    finding.excerpt = excerpt(statement.text);
    finding.lock = details.lock.empty() ? std::string(info.lock) : std::move(details.lock);
    finding.effect = details.effect.empty() ? std::string(info.effect) : std::move(details.effect);
    finding.hint = details.hint.empty() ? std::string(info.hint) : std::move(details.hint);
    m_out.push_back(std::move(finding));
}

} // namespace pgphase::planners::lint
