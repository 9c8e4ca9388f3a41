// The operations a plan can name. Each is one unit in planners/ops/<operation>.cpp: its YAML
// reader (fields and validation), its rewrite into steps, its part of the plan checksum and the
// names it creates; registry.cpp lists every unit once. Pure.
#pragma once

#include "planners/model/plan.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace pgphase::planners {

class Loader;
class NameClaims;
struct OpContext;

struct OperationUnit {
    std::string_view name; // as written in a plan: "rename_column"
    std::size_t index;     // of its struct in Operation
    // Reads the operation's mapping, reporting every problem; nullopt if there was one.
    std::optional<Operation> (*load)(Loader& loader, const YAML::Node& node);
    // Rewrites it into steps, checked against (and updating) the working catalog.
    void (*plan)(OpContext& context, const Operation& operation);
    // Its canonical text for the plan checksum: quoted fields, so that no two plans collide.
    std::string (*canonical)(const Operation& operation);
    // Claims the names it creates (nullptr: none), so a name created twice is reported.
    void (*claim_names)(const Operation& operation, NameClaims& claims);
};

namespace detail {

template <typename Op, typename... Alternatives>
constexpr std::size_t index_in(const std::variant<Alternatives...>* /*type only*/) {
    constexpr std::array<bool, sizeof...(Alternatives)> matches{
        std::is_same_v<Op, Alternatives>...};
    for (std::size_t i = 0; i < sizeof...(Alternatives); ++i) {
        if (matches[i]) {
            return i;
        }
    }
    return sizeof...(Alternatives);
}

} // namespace detail

// The unit of operation struct Op, from its typed functions.
template <typename Op, std::optional<Operation> (*Load)(Loader&, const YAML::Node&),
          void (*Plan)(OpContext&, const Op&), std::string (*Canonical)(const Op&),
          auto Claims = nullptr>
constexpr OperationUnit operation_unit(std::string_view name) {
    constexpr std::size_t index = detail::index_in<Op>(static_cast<const Operation*>(nullptr));
    static_assert(index < std::variant_size_v<Operation>, "Op is not an alternative of Operation");
    void (*claims)(const Operation&, NameClaims&) = nullptr;
    // Told apart by type, not by comparing the pointer with nullptr: GCC's UBSan build does
    // not take a function template's address as a constant in that comparison.
    if constexpr (!std::is_same_v<decltype(Claims), std::nullptr_t>) {
        static_assert(std::is_same_v<decltype(Claims), void (*)(const Op&, NameClaims&)>,
                      "Claims takes (const Op&, NameClaims&)");
        claims = [](const Operation& operation, NameClaims& names) {
            Claims(std::get<Op>(operation), names);
        };
    }
    return {name,
            index,
            Load,
            [](OpContext& context, const Operation& operation) {
                Plan(context, std::get<Op>(operation));
            },
            [](const Operation& operation) { return Canonical(std::get<Op>(operation)); },
            claims};
}

// Every operation, in the order "expected one of" lists them.
const std::vector<const OperationUnit*>& operation_units();

// The unit of the operation a change holds.
const OperationUnit& unit_of(const Operation& operation);

// The unit named `name` as written in a plan, or nullptr.
const OperationUnit* find_unit(std::string_view name);

} // namespace pgphase::planners
