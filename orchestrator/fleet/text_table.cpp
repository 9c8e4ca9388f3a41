#include "orchestrator/fleet/text_table.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace pgphase::orchestrator::fleet {

std::string text_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line += std::string(widths[i] - row[i].size() + 2, ' ');
            }
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    return out;
}

std::string seconds_text(std::int64_t ms) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.1fs", static_cast<double>(ms) / 1000.0);
    return text.data();
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

} // namespace pgphase::orchestrator::fleet
