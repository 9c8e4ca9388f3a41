// identifier-too-long: PostgreSQL truncates names to 63 bytes (NAMEDATALEN - 1) with only a
// NOTICE, so two long index names that share their first 63 bytes collide. The parse tree
// holds names already truncated, so this reads the statement's tokens instead. Pure.
#include "planners/lint/rules/checks.hpp"

#include <cctype>
#include <set>
#include <string>
#include <string_view>

namespace pgphase::planners::lint {

namespace {

constexpr std::size_t max_identifier_bytes = 63;

bool identifier_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) != 0 || c == '_' || c == '$' || byte >= 0x80U;
}

// Position just past the literal, comment or quoted name starting at `i`, or `i` if none.
std::size_t skip_literal(std::string_view text, std::size_t i) {
    if (text.compare(i, 2, "--") == 0) {
        const std::size_t end = text.find('\n', i);
        return end == std::string::npos ? text.size() : end;
    }
    if (text.compare(i, 2, "/*") == 0) {
        const std::size_t end = text.find("*/", i + 2);
        return end == std::string::npos ? text.size() : end + 2;
    }
    if (text[i] == '\'') {
        const bool escapes = i > 0 && (text[i - 1] == 'E' || text[i - 1] == 'e');
        std::size_t j = i + 1;
        while (j < text.size()) {
            const bool escaped_quote =
                text[j] == '\'' && j + 1 < text.size() && text[j + 1] == '\'';
            if ((escapes && text[j] == '\\') || escaped_quote) {
                j += 2;
            } else if (text[j] == '\'') {
                return j + 1;
            } else {
                ++j;
            }
        }
        return text.size();
    }
    if (text[i] == '$') {
        std::size_t j = i + 1;
        while (j < text.size() && identifier_char(text[j]) && text[j] != '$') {
            ++j;
        }
        if (j < text.size() && text[j] == '$') {
            const std::string_view tag = text.substr(i, j - i + 1);
            const std::size_t end = text.find(tag, j + 1);
            return end == std::string::npos ? text.size() : end + tag.size();
        }
    }
    return i;
}

} // namespace

void check_identifiers(CheckContext& context) {
    const std::string_view text = context.statement().text;
    std::set<std::string> reported;
    std::size_t i = 0;
    while (i < text.size()) {
        if (const std::size_t past = skip_literal(text, i); past != i) {
            i = past;
            continue;
        }
        std::string name;
        if (text[i] == '"') {
            std::size_t j = i + 1;
            while (j < text.size()) {
                if (text[j] == '"' && j + 1 < text.size() && text[j + 1] == '"') {
                    name += '"';
                    j += 2;
                } else if (text[j] == '"') {
                    break;
                } else {
                    name += text[j++];
                }
            }
            i = j + 1;
        } else if (identifier_char(text[i])) {
            const std::size_t start = i;
            while (i < text.size() && identifier_char(text[i])) {
                ++i;
            }
            name = std::string(text.substr(start, i - start));
        } else {
            ++i;
            continue;
        }
        if (name.size() > max_identifier_bytes && reported.insert(name).second) {
            context.report("identifier-too-long",
                           "the name " + quote_name(name) + " is " + std::to_string(name.size()) +
                               " bytes; PostgreSQL truncates it to " +
                               quote_name(name.substr(0, max_identifier_bytes)));
        }
    }
}

} // namespace pgphase::planners::lint
