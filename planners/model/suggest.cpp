// Levenshtein distance over bytes; names here are short. Pure.
#include "planners/model/suggest.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U);
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}
} // namespace

std::string closest(const std::string& word, const std::vector<std::string>& choices) {
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& choice : choices) {
        if (const std::size_t d = edit_distance(word, choice); d < best_distance) {
            best_distance = d;
            best = choice;
        }
    }
    return best;
}

std::string did_you_mean_hint(const std::string& word, const std::vector<std::string>& choices) {
    const std::string best = closest(word, choices);
    return best.empty() ? std::string() : "did you mean \"" + best + "\"?";
}

} // namespace pgphase::planners
