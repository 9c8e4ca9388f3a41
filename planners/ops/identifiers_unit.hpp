// The unit of an operation that is its name and a few required identifiers, such as drop_table's
// `{table}` or drop_constraint's `{table, name}`: its YAML reader and its canonical text (the
// name, then each field quoted, in order) are made from the keys, so its file holds only its
// rewrite. Pure.
#pragma once

#include "planners/load/fields.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace pgphase::planners {

// A string literal as a template argument: identifiers_unit<..., "drop_table", "table">.
template <std::size_t N> struct Word {
    // A string literal converts implicitly: that is the point of the type.
    // NOLINTNEXTLINE(google-explicit-constructor,hicpp-explicit-conversions,modernize-avoid-c-arrays,cppcoreguidelines-avoid-c-arrays,hicpp-avoid-c-arrays)
    constexpr Word(const char (&word)[N]) { std::copy_n(word, N, text.begin()); }
    constexpr std::string_view view() const { return {text.data(), N - 1}; }
    std::array<char, N> text{};
};

namespace detail {

template <typename Op, Word Name, Word... Keys>
std::optional<Operation> load_words(Loader& loader, const YAML::Node& node) {
    return load_identifiers<Op>(loader, node, std::string(Name.view()),
                                std::string(Keys.view())...);
}

template <typename Op, Word Name, std::size_t Fields> std::string canonical_words(const Op& op) {
    std::string out(Name.view());
    if constexpr (Fields == 1) {
        const auto& [first] = op;
        out += " " + quote_ident(first);
    } else {
        static_assert(Fields == 2, "one or two identifiers");
        const auto& [first, second] = op;
        out += " " + quote_ident(first) + " " + quote_ident(second);
    }
    return out;
}

} // namespace detail

template <typename Op, void (*Plan)(OpContext&, const Op&), Word Name, Word... Keys>
constexpr OperationUnit identifiers_unit() {
    return operation_unit<Op, detail::load_words<Op, Name, Keys...>, Plan,
                          detail::canonical_words<Op, Name, sizeof...(Keys)>>(Name.view());
}

} // namespace pgphase::planners
