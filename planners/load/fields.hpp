// Field readers that several operations' loaders share: column lists, column definitions,
// foreign-key references, `{table, column}` targets and `{table, from, to}` renames. Pure.
#pragma once

#include "planners/load/reader.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace pgphase::planners {

// A non-empty list of distinct identifiers, e.g. `columns: [a, b]`; nullopt after reporting,
// with `hint` on the error for an empty or non-list value.
std::optional<std::vector<std::string>> load_name_list(Loader& loader, const YAML::Node& list,
                                                       const std::string& key,
                                                       const std::string& hint = {});

// `references: {table: users, column: id, on_delete: cascade}` on a column, or with
// `columns: [a, b]` in a table-level foreign key.
std::optional<ForeignKeyReference> load_reference(Loader& loader, const YAML::Node& node,
                                                  bool table_level);

// A column of add_column or create_table; `in_create_table` also allows primary_key/identity.
std::optional<ColumnDefinition> load_column(Loader& loader, const YAML::Node& node,
                                            bool in_create_table = false);

// A non-empty list of distinct column names under `key`; nullopt after reporting a problem.
std::optional<std::vector<std::string>> column_list(Loader& loader, MapReader& reader,
                                                    const std::string& key, bool required);

// `table` and `column`, both required.
struct TableColumn {
    std::optional<std::string> table;
    std::optional<std::string> column;
};
TableColumn read_table_column(MapReader& reader);

// An operation that is exactly some required identifiers, e.g. drop_constraint's
// `{table, name}`: Op is built from them in the order of `keys`.
template <typename Op, typename... Keys>
std::optional<Operation> load_identifiers(Loader& loader, const YAML::Node& node,
                                          const std::string& operation, const Keys&... keys) {
    MapReader reader(loader, node, operation, {std::string(keys)...});
    if (!reader.ok()) {
        return std::nullopt;
    }
    // Braced initialisation reads the keys in order, so errors come in the order written.
    std::array<std::optional<std::string>, sizeof...(Keys)> values{
        reader.identifier(keys, true)...};
    reader.finish();
    if (std::any_of(values.begin(), values.end(), [](const auto& v) { return !v; })) {
        return std::nullopt;
    }
    return std::apply([](const auto&... v) { return Op{*v...}; }, values);
}

// rename_column and rename_constraint: `table`, `from`, `to`, and not a rename to itself.
// `more` names the operation's further optional keys; `read_more(reader, rename)` reads them
// into the operation before the reader reports unknown keys, and returns false on a problem.
template <typename Rename, typename ReadMore>
std::optional<Operation>
load_rename_in_table(Loader& loader, const YAML::Node& node, const std::string& operation,
                     const std::vector<std::string>& more, ReadMore read_more) {
    std::vector<std::string> known{"table", "from", "to"};
    known.insert(known.end(), more.begin(), more.end());
    MapReader reader(loader, node, operation, std::move(known));
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto from = reader.identifier("from", true);
    auto to = reader.identifier("to", true);
    Rename rename{table.value_or(""), from.value_or(""), to.value_or("")};
    const bool more_ok = read_more(reader, rename);
    reader.finish();
    if (from && to && *from == *to) {
        loader.error(reader.get("to"), operation + " renames \"" + *from + "\" to itself");
        return std::nullopt;
    }
    if (!table || !from || !to || !more_ok) {
        return std::nullopt;
    }
    return rename;
}

template <typename Rename>
std::optional<Operation> load_rename_in_table(Loader& loader, const YAML::Node& node,
                                              const std::string& operation) {
    return load_rename_in_table<Rename>(loader, node, operation, {},
                                        [](MapReader&, Rename&) { return true; });
}

} // namespace pgphase::planners
