// Text helpers. Pure.
#include "planners/model/text.hpp"

#include <array>
#include <sstream>

namespace pgphase::planners {

std::string indent(const std::string& text, const std::string& prefix) {
    std::string out = prefix;
    for (char c : text) {
        out += c;
        if (c == '\n') {
            out += prefix;
        }
    }
    return out;
}

std::string github_escape_data(const std::string& text) {
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

std::string github_escape_property(const std::string& text) {
    std::string out;
    for (char c : github_escape_data(text)) {
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

std::string size_text(std::int64_t bytes) {
    const std::array<const char*, 5> units = {"bytes", "kB", "MB", "GB", "TB"};
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    std::ostringstream out;
    out.precision(unit == 0 ? 0 : 1);
    out << std::fixed << value << " " << units[unit];
    return out.str();
}

} // namespace pgphase::planners
