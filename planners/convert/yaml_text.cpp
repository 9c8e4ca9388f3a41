// YAML quoting for `convert`'s output. Pure.
#include "planners/convert/yaml_text.hpp"

#include <array>
#include <cstdio>

namespace pgphase::planners::convert {

namespace {

bool plain_safe(std::string_view text) {
    if (text.empty()) {
        return false;
    }
    static const std::array<std::string_view, 11> reserved = {
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"};
    for (std::string_view word : reserved) {
        if (text == word) {
            return false;
        }
    }
    if (!(text[0] == '_' || (text[0] >= 'a' && text[0] <= 'z'))) {
        return false;
    }
    for (char c : text) {
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string yaml_scalar(std::string_view text) {
    if (plain_safe(text)) {
        return std::string(text);
    }
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                std::array<char, 8> buffer{};
                std::snprintf(buffer.data(), buffer.size(), "\\x%02x",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buffer.data();
            } else {
                out += c;
            }
        }
    }
    out += "\"";
    return out;
}

std::string yaml_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i == 0 ? "" : ", ") + yaml_scalar(items[i]);
    }
    return out + "]";
}

std::string yaml_block(std::string_view text, int indent) {
    // Statements start at their first token, so the first line never starts with a space and
    // no indentation indicator is needed. Trailing blanks are dropped (YAML keeps them, the
    // plan's SQL does not need them).
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    std::string out = "|\n";
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find('\n', start);
        std::string_view line = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        while (!line.empty() &&
               (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
            line.remove_suffix(1);
        }
        out += line.empty() ? std::string() : pad + std::string(line);
        if (end == std::string_view::npos) {
            break;
        }
        out += "\n";
        start = end + 1;
    }
    return out;
}

} // namespace pgphase::planners::convert
