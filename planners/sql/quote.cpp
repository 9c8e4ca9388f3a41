// Identifier and literal quoting, derived object names. Pure.
#include "planners/sql/quote.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace pgphase::planners {

namespace {
constexpr std::size_t max_identifier_bytes = 63; // NAMEDATALEN - 1

std::string quote_with(std::string_view text, char quote) {
    std::string out;
    out.reserve(text.size() + 2);
    out += quote;
    for (char c : text) {
        out += c;
        if (c == quote) {
            out += quote;
        }
    }
    out += quote;
    return out;
}
} // namespace

std::string quote_ident(std::string_view identifier) {
    return quote_with(identifier, '"');
}

std::string quote_literal(std::string_view text) {
    return quote_with(text, '\'');
}

std::optional<std::string> identifier_problem(std::string_view identifier) {
    if (identifier.empty()) {
        return "an identifier cannot be empty";
    }
    if (identifier.size() > max_identifier_bytes) {
        return "identifier is " + std::to_string(identifier.size()) +
               " bytes long; PostgreSQL allows at most 63";
    }
    if (identifier.find('\0') != std::string_view::npos) {
        return "an identifier cannot contain a NUL character";
    }
    return std::nullopt;
}

std::string fnv1a_hex(std::string_view text) {
    std::uint64_t hash = 14695981039346656037ULL;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    std::array<char, 17> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%016llx", static_cast<unsigned long long>(hash));
    return buffer.data();
}

std::string derived_name(std::initializer_list<std::string_view> parts) {
    std::string joined;
    for (auto part : parts) {
        if (!joined.empty()) {
            joined += '_';
        }
        joined += part;
    }
    if (joined.size() <= max_identifier_bytes) {
        return joined;
    }
    const std::string suffix = "_" + fnv1a_hex(joined).substr(0, 8);
    std::string cut = joined.substr(0, max_identifier_bytes - suffix.size());
    // Never cut a UTF-8 sequence in half: drop continuation bytes at the cut.
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0U) == 0x80U) {
        cut.pop_back();
    }
    if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0x80U) != 0) {
        cut.pop_back();
    }
    return cut + suffix;
}

} // namespace pgphase::planners

namespace pgphase::planners {

std::string dollar_quote(std::string_view body) {
    // The closing tag is the first occurrence of the tag after the opening one, so the tag
    // must not occur in the body, nor straddle the body's end and the closing tag.
    auto closes_early = [&](const std::string& tag) {
        return (std::string(body) + tag).find(tag) != body.size();
    };
    std::string tag = "$pgphase$";
    for (int n = 1; closes_early(tag); ++n) {
        tag = "$pgphase" + std::to_string(n) + "$";
    }
    return tag + std::string(body) + tag;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) {
        out += out.empty() ? "" : "_";
        out += part;
    }
    return out;
}

} // namespace pgphase::planners
