// Field readers several operations share. Pure.
#include "planners/load/fields.hpp"

#include "planners/sql/quote.hpp"

#include <algorithm>
#include <cctype>

namespace pgphase::planners {

std::optional<std::vector<std::string>> load_name_list(Loader& loader, const YAML::Node& list,
                                                       const std::string& key,
                                                       const std::string& hint) {
    if (!list.IsSequence() || list.size() == 0) {
        loader.error(list, "\"" + key + "\" must be a non-empty list of column names", hint);
        return std::nullopt;
    }
    std::vector<std::string> names;
    bool ok = true;
    for (const auto& item : list) {
        if (!item.IsScalar()) {
            loader.error(item, "each entry of \"" + key + "\" must be a column name");
            ok = false;
        } else if (auto problem = identifier_problem(item.Scalar())) {
            loader.error(item, "bad identifier in \"" + key + "\": " + *problem);
            ok = false;
        } else if (std::find(names.begin(), names.end(), item.Scalar()) != names.end()) {
            loader.error(item, "column \"" + item.Scalar() + "\" is listed twice");
            ok = false;
        } else {
            names.push_back(item.Scalar());
        }
    }
    return ok ? std::optional(names) : std::nullopt;
}

std::optional<ForeignKeyReference> load_reference(Loader& loader, const YAML::Node& node,
                                                  bool table_level) {
    const std::string columns_key = table_level ? "columns" : "column";
    MapReader reader(loader, node, "references", {"table", columns_key, "on_delete"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    ForeignKeyReference reference;
    bool ok = true;
    if (auto table = reader.identifier("table", true)) {
        reference.table = *table;
    } else {
        ok = false;
    }
    if (table_level) {
        if (YAML::Node list = reader.get("columns"); list.IsDefined()) {
            auto names = load_name_list(loader, list, "columns");
            ok = ok && names.has_value();
            reference.columns = names.value_or(std::vector<std::string>{});
        }
    } else if (YAML::Node column = reader.get("column"); column.IsDefined()) {
        if (auto name = reader.identifier("column", false)) {
            reference.columns.push_back(*name);
        } else {
            ok = false;
        }
    }
    if (auto on_delete = reader.string("on_delete", false)) {
        static const std::vector<std::string> actions = {"no_action", "restrict", "cascade",
                                                         "set_null", "set_default"};
        if (std::find(actions.begin(), actions.end(), *on_delete) == actions.end()) {
            loader.error(reader.get("on_delete"), "unknown on_delete action \"" + *on_delete + "\"",
                         did_you_mean(*on_delete, actions));
            ok = false;
        } else {
            std::string sql = *on_delete;
            std::transform(sql.begin(), sql.end(), sql.begin(), [](char c) {
                return c == '_' ? ' '
                                : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            });
            reference.on_delete = sql;
        }
    }
    reader.finish();
    return ok ? std::optional(reference) : std::nullopt;
}

std::optional<ColumnDefinition> load_column(Loader& loader, const YAML::Node& node,
                                            bool in_create_table) {
    std::vector<std::string> known = {"name",   "type",  "nullable",  "default",
                                      "unique", "check", "references"};
    if (in_create_table) {
        known.emplace_back("primary_key");
        known.emplace_back("identity");
    }
    MapReader reader(loader, node, "column", known);
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto name = reader.identifier("name", true);
    auto type = reader.type_name("type", true);
    auto nullable = reader.boolean("nullable");
    auto default_value = reader.expression("default", false);
    auto unique = reader.boolean("unique");
    auto check = reader.expression("check", false);
    std::optional<ForeignKeyReference> references;
    bool ok = true;
    if (YAML::Node ref = reader.get("references"); ref.IsDefined()) {
        references = load_reference(loader, ref, false);
        ok = references.has_value();
    }
    std::optional<bool> primary_key;
    std::optional<std::string> identity;
    if (in_create_table) {
        primary_key = reader.boolean("primary_key");
        identity = reader.string("identity", false);
        if (identity && *identity != "always" && *identity != "by_default") {
            loader.error(reader.get("identity"), "unknown identity kind \"" + *identity + "\"",
                         did_you_mean(*identity, {"always", "by_default"}));
            ok = false;
        }
        if (identity && default_value) {
            loader.error(reader.get("default"), "an identity column cannot also have a \"default\"",
                         "its values come from its sequence; drop \"default\"");
            ok = false;
        }
    }
    reader.finish();
    if (!name || !type || !ok) {
        return std::nullopt;
    }
    ColumnDefinition column;
    column.name = *name;
    column.type = *type;
    column.nullable = nullable.value_or(true);
    column.default_value = default_value;
    column.unique = unique.value_or(false);
    column.check = check;
    column.references = references;
    column.primary_key = primary_key.value_or(false);
    if (identity) {
        column.identity = *identity == "always" ? "ALWAYS" : "BY DEFAULT";
    }
    return column;
}

std::optional<std::vector<std::string>> column_list(Loader& loader, MapReader& reader,
                                                    const std::string& key, bool required) {
    YAML::Node list = required ? reader.require(key) : reader.get(key);
    if (!list.IsDefined()) {
        return std::nullopt;
    }
    return load_name_list(loader, list, key, "write e.g. " + key + ": [user_id]");
}

TableColumn read_table_column(MapReader& reader) {
    TableColumn out;
    out.table = reader.identifier("table", true);
    out.column = reader.identifier("column", true);
    return out;
}

} // namespace pgphase::planners
