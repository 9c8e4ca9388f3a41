// YAML plan loading on yaml-cpp nodes, which carry their source marks. Each field is read
// through a MapReader that remembers what was consumed, so leftovers are reported as unknown
// keys with a "did you mean" hint. Pure apart from reading the file.
#include "planners/load/plan_loader.hpp"

#include "planners/lint/source.hpp"
#include "planners/model/suggest.hpp"
#include "planners/sql/expression.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <pg_query.h>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

std::string did_you_mean(const std::string& word, const std::vector<std::string>& choices) {
    if (std::string hint = did_you_mean_hint(word, choices); !hint.empty()) {
        return hint;
    }
    std::string all;
    for (const auto& choice : choices) {
        all += all.empty() ? "" : ", ";
        all += choice;
    }
    return "expected one of: " + all;
}

class Loader {
public:
    Loader(std::string file, Diagnostics& diagnostics)
        : m_file(std::move(file))
        , m_diagnostics(diagnostics) {}

    SourceMark mark(const YAML::Node& node) const {
        const YAML::Mark m = node.Mark();
        if (m.is_null()) {
            return {m_file, 0, 0};
        }
        return {m_file, m.line + 1, m.column + 1};
    }

    void error(const YAML::Node& node, std::string message, std::string hint = {}) {
        m_diagnostics.error(mark(node), std::move(message), std::move(hint));
    }

    const std::string& file() const { return m_file; }
    Diagnostics& diagnostics() { return m_diagnostics; }
    // The plan's text, for locating positions inside block scalars (sql's up and down).
    void set_text(const std::string* text) { m_text = text; }
    const std::string* text() const { return m_text; }

private:
    std::string m_file;
    Diagnostics& m_diagnostics;
    const std::string* m_text = nullptr;
};

// Reads the fields of one YAML mapping; reports missing, mistyped, duplicate and unknown keys.
class MapReader {
public:
    MapReader(Loader& loader, const YAML::Node& node, std::string what,
              std::vector<std::string> known)
        : m_loader(loader)
        , m_node(node)
        , m_what(std::move(what))
        , m_known(std::move(known)) {
        if (!node.IsMap()) {
            m_loader.error(node, m_what + " must be a mapping");
            m_ok = false;
            return;
        }
        std::set<std::string> seen;
        for (const auto& item : node) {
            if (!item.first.IsScalar()) {
                m_loader.error(item.first, "keys in " + m_what + " must be plain names");
                continue;
            }
            const auto key = item.first.Scalar();
            if (!seen.insert(key).second) {
                m_loader.error(item.first, "duplicate key \"" + key + "\" in " + m_what);
                continue;
            }
            m_fields.emplace(key, std::make_pair(item.first, item.second));
        }
    }

    bool ok() const { return m_ok; }

    // The value node for `key`, or an undefined node. Marks the key as consumed.
    YAML::Node get(const std::string& key) {
        m_used.insert(key);
        auto it = m_fields.find(key);
        return it == m_fields.end() ? YAML::Node(YAML::NodeType::Undefined) : it->second.second;
    }

    YAML::Node require(const std::string& key) {
        YAML::Node value = get(key);
        if (!value.IsDefined() && m_ok) {
            m_loader.error(m_node, m_what + " is missing required field \"" + key + "\"");
        }
        return value;
    }

    std::optional<std::string> string(const std::string& key, bool required) {
        YAML::Node value = required ? require(key) : get(key);
        if (!value.IsDefined()) {
            return std::nullopt;
        }
        if (!value.IsScalar()) {
            m_loader.error(value, "\"" + key + "\" in " + m_what + " must be a string");
            return std::nullopt;
        }
        return value.Scalar();
    }

    std::optional<std::string> identifier(const std::string& key, bool required) {
        auto text = string(key, required);
        if (text) {
            if (auto problem = identifier_problem(*text)) {
                m_loader.error(get(key), "bad identifier for \"" + key + "\": " + *problem);
                return std::nullopt;
            }
        }
        return text;
    }

    std::optional<bool> boolean(const std::string& key) {
        YAML::Node value = get(key);
        if (!value.IsDefined()) {
            return std::nullopt;
        }
        bool result = false;
        if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) {
            m_loader.error(value, "\"" + key + "\" must be true or false");
            return std::nullopt;
        }
        return result;
    }

    std::optional<std::int64_t> integer(const std::string& key, std::int64_t minimum) {
        YAML::Node value = get(key);
        if (!value.IsDefined()) {
            return std::nullopt;
        }
        std::int64_t result = 0;
        if (!value.IsScalar() || !YAML::convert<std::int64_t>::decode(value, result)) {
            m_loader.error(value, "\"" + key + "\" must be a whole number");
            return std::nullopt;
        }
        if (result < minimum) {
            m_loader.error(value, "\"" + key + "\" must be at least " + std::to_string(minimum));
            return std::nullopt;
        }
        return result;
    }

    std::optional<Milliseconds> duration(const std::string& key) {
        YAML::Node value = get(key);
        if (!value.IsDefined()) {
            return std::nullopt;
        }
        std::optional<Milliseconds> result;
        if (value.IsScalar()) {
            result = parse_duration(value.Scalar());
        }
        if (!result) {
            m_loader.error(value, "\"" + key + "\" must be a duration with a unit",
                           "write e.g. 500ms, 2s, 10m, 1h or 7d");
        }
        return result;
    }

    std::optional<std::int64_t> bytes(const std::string& key) {
        YAML::Node value = get(key);
        if (!value.IsDefined()) {
            return std::nullopt;
        }
        std::optional<std::int64_t> result;
        if (value.IsScalar()) {
            result = parse_bytes(value.Scalar());
        }
        if (!result) {
            m_loader.error(value, "\"" + key + "\" must be a size",
                           "write e.g. 0, 64kB, 256MB or 1GB");
        }
        return result;
    }

    std::optional<std::string> query(const std::string& key) {
        auto text = string(key, false);
        if (!text) {
            return std::nullopt;
        }
        if (text->find_first_not_of(" \t\n") == std::string::npos) {
            return std::string(); // "" is the default: no query
        }
        if (auto problem = query_problem(*text)) {
            m_loader.error(get(key), "invalid query for \"" + key + "\": " + *problem,
                           "\"" + key + "\" must be one SELECT returning one boolean");
            return std::nullopt;
        }
        return text;
    }

    std::optional<Expression> expression(const std::string& key, bool required) {
        auto text = string(key, required);
        if (!text) {
            return std::nullopt;
        }
        const YAML::Node node = get(key);
        SourceMark where = m_loader.mark(node);
        auto parsed = parse_expression(*text, where);
        if (auto* error = std::get_if<ParseError>(&parsed)) {
            SourceMark at = where;
            if (error->offset > 0 && text->find('\n') == std::string::npos) {
                // One-line scalar: point at the offending byte (past the quote, if quoted).
                at.column += error->offset + (node.Tag() == "!" ? 1 : 0);
            }
            m_loader.diagnostics().error(
                at, "invalid expression for \"" + key + "\": " + error->message,
                "\"" + key + "\" must be exactly one SQL expression");
            return std::nullopt;
        }
        return std::get<Expression>(parsed);
    }

    std::optional<TypeName> type_name(const std::string& key, bool required) {
        auto text = string(key, required);
        if (!text) {
            return std::nullopt;
        }
        auto parsed = parse_type_name(*text, m_loader.mark(get(key)));
        if (auto* error = std::get_if<ParseError>(&parsed)) {
            m_loader.error(get(key), "invalid type for \"" + key + "\": " + error->message);
            return std::nullopt;
        }
        return std::get<TypeName>(parsed);
    }

    // Reports keys nobody asked for. Call after reading every field.
    void finish() {
        if (!m_ok) {
            return;
        }
        for (const auto& [key, nodes] : m_fields) {
            if (m_used.count(key) == 0) {
                m_loader.error(nodes.first, "unknown key \"" + key + "\" in " + m_what,
                               did_you_mean(key, m_known));
            }
        }
    }

private:
    Loader& m_loader;
    YAML::Node m_node;
    std::string m_what;
    std::vector<std::string> m_known;
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> m_fields;
    std::set<std::string> m_used;
    bool m_ok = true;
};

void load_backfill_settings(Loader& loader, const YAML::Node& node, BackfillSettings& out) {
    MapReader reader(loader, node, "backfill settings",
                     {"batch_size", "max_batch_size", "target_batch_time", "max_rows_per_second",
                      "workers", "max_replication_lag", "max_replication_lag_bytes",
                      "max_transaction_age", "pause_during_autovacuum", "max_wal_bytes_per_second",
                      "health_query"});
    if (!reader.ok()) {
        return;
    }
    if (auto v = reader.integer("batch_size", 1)) {
        out.batch_size = *v;
    }
    if (auto v = reader.integer("max_batch_size", 10)) {
        out.max_batch_size = *v;
    }
    if (auto v = reader.bytes("max_replication_lag_bytes")) {
        out.max_replication_lag_bytes = *v;
    }
    if (auto v = reader.duration("max_transaction_age")) {
        out.max_transaction_age = *v;
    }
    if (auto v = reader.boolean("pause_during_autovacuum")) {
        out.pause_during_autovacuum = *v;
    }
    if (auto v = reader.bytes("max_wal_bytes_per_second")) {
        out.max_wal_bytes_per_second = *v;
    }
    if (auto v = reader.query("health_query")) {
        out.health_query = *v;
    }
    if (auto v = reader.duration("target_batch_time")) {
        out.target_batch_time = *v;
    }
    if (auto v = reader.integer("max_rows_per_second", 0)) {
        out.max_rows_per_second = *v;
    }
    if (auto v = reader.integer("workers", 1)) {
        out.workers = static_cast<int>(std::min<std::int64_t>(*v, 64));
    }
    if (auto v = reader.duration("max_replication_lag")) {
        out.max_replication_lag = *v;
    }
    reader.finish();
}

void load_settings(Loader& loader, const YAML::Node& node, Settings& out) {
    MapReader reader(
        loader, node, "settings",
        {"lock_timeout", "lock_retries", "contract_after", "version_schema", "backfill"});
    if (!reader.ok()) {
        return;
    }
    if (auto v = reader.duration("lock_timeout")) {
        if (v->count() <= 0) {
            loader.error(reader.get("lock_timeout"), "\"lock_timeout\" must be more than 0",
                         "a DDL statement without a lock timeout can queue behind a long "
                         "transaction and block every query on the table");
        } else {
            out.lock_timeout = *v;
        }
    }
    if (auto v = reader.integer("lock_retries", 0)) {
        out.lock_retries = static_cast<int>(std::min<std::int64_t>(*v, 10'000));
    }
    if (auto v = reader.duration("contract_after")) {
        out.contract_after = *v;
    }
    if (auto v = reader.string("version_schema", false)) {
        if (*v == "keep" || *v == "drop") {
            out.keep_version_schema = *v == "keep";
        } else {
            loader.error(reader.get("version_schema"),
                         R"("version_schema" must be "keep" or "drop", not ")" + *v + "\"",
                         "keep (the default) leaves the new version's views in place after "
                         "contract; drop removes them at contract");
        }
    }
    if (YAML::Node backfill = reader.get("backfill"); backfill.IsDefined()) {
        load_backfill_settings(loader, backfill, out.backfill);
    }
    reader.finish();
}

// rename_column and rename_constraint: `table`, `from`, `to`, and not a rename to itself.
template <typename Rename>
std::optional<Operation> load_rename_in_table(Loader& loader, const YAML::Node& node,
                                              const std::string& operation) {
    MapReader reader(loader, node, operation, {"table", "from", "to"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto from = reader.identifier("from", true);
    auto to = reader.identifier("to", true);
    reader.finish();
    if (from && to && *from == *to) {
        loader.error(reader.get("to"), operation + " renames \"" + *from + "\" to itself");
        return std::nullopt;
    }
    if (!table || !from || !to) {
        return std::nullopt;
    }
    return Rename{*table, *from, *to};
}

std::optional<Operation> load_rename_column(Loader& loader, const YAML::Node& node) {
    return load_rename_in_table<RenameColumn>(loader, node, "rename_column");
}

// A non-empty list of distinct identifiers, e.g. `columns: [a, b]`; nullopt after reporting.
std::optional<std::vector<std::string>> load_name_list(Loader& loader, const YAML::Node& list,
                                                       const std::string& key) {
    if (!list.IsSequence() || list.size() == 0) {
        loader.error(list, "\"" + key + "\" must be a non-empty list of column names");
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

// `references: {table: users, column: id, on_delete: cascade}` on a column, or with
// `columns: [a, b]` in a table-level foreign key.
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

// A column of add_column or create_table; `in_create_table` also allows primary_key/identity.
std::optional<ColumnDefinition> load_column(Loader& loader, const YAML::Node& node,
                                            bool in_create_table = false) {
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

std::optional<Operation> load_add_column(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "add_column", {"table", "column", "up"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    std::optional<ColumnDefinition> column;
    if (YAML::Node column_node = reader.require("column"); column_node.IsDefined()) {
        column = load_column(loader, column_node);
    }
    auto up = reader.expression("up", false);
    reader.finish();
    if (!table || !column) {
        return std::nullopt;
    }
    if (!column->nullable && !column->default_value && !up) {
        loader.error(node,
                     "add_column of NOT NULL column \"" + column->name +
                         R"(" needs a default or an "up" expression)",
                     "existing rows need a value: give \"default\" (a constant is instant) or "
                     "\"up\" (filled by backfill)");
        return std::nullopt;
    }
    return AddColumn{*table, *column, up};
}

std::optional<Operation> load_create_index(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "create_index",
                     {"table", "name", "columns", "unique", "method", "where"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto name = reader.identifier("name", true);
    std::vector<std::string> columns;
    bool columns_ok = true;
    if (YAML::Node list = reader.require("columns"); list.IsDefined()) {
        if (!list.IsSequence() || list.size() == 0) {
            loader.error(list, "\"columns\" must be a non-empty list of column names");
            columns_ok = false;
        } else {
            for (const auto& item : list) {
                if (!item.IsScalar()) {
                    loader.error(item, "each entry of \"columns\" must be a column name");
                    columns_ok = false;
                    continue;
                }
                if (auto problem = identifier_problem(item.Scalar())) {
                    loader.error(item, "bad identifier in \"columns\": " + *problem);
                    columns_ok = false;
                    continue;
                }
                if (std::find(columns.begin(), columns.end(), item.Scalar()) != columns.end()) {
                    loader.error(item, "column \"" + item.Scalar() + "\" is listed twice");
                    columns_ok = false;
                    continue;
                }
                columns.push_back(item.Scalar());
            }
        }
    } else {
        columns_ok = false;
    }
    auto unique = reader.boolean("unique");
    auto method = reader.string("method", false);
    if (method) {
        static const std::vector<std::string> methods = {"btree", "hash",   "gist",
                                                         "gin",   "spgist", "brin"};
        if (std::find(methods.begin(), methods.end(), *method) == methods.end()) {
            loader.error(reader.get("method"), "unknown index method \"" + *method + "\"",
                         did_you_mean(*method, methods));
            method.reset();
            columns_ok = false;
        }
    }
    auto where = reader.expression("where", false);
    reader.finish();
    if (!table || !name || !columns_ok) {
        return std::nullopt;
    }
    CreateIndex index{*table, *name, columns, unique.value_or(false), method.value_or("btree"),
                      where};
    return index;
}

// Constraint operations (add_check … rename_constraint).

// A non-empty list of distinct column names under `key`; nullopt after reporting a problem.
std::optional<std::vector<std::string>> column_list(Loader& loader, MapReader& reader,
                                                    const std::string& key, bool required) {
    YAML::Node list = required ? reader.require(key) : reader.get(key);
    if (!list.IsDefined()) {
        return std::nullopt;
    }
    if (!list.IsSequence() || list.size() == 0) {
        loader.error(list, "\"" + key + "\" must be a non-empty list of column names",
                     "write e.g. " + key + ": [user_id]");
        return std::nullopt;
    }
    std::vector<std::string> columns;
    bool ok = true;
    for (const auto& item : list) {
        if (!item.IsScalar()) {
            loader.error(item, "each entry of \"" + key + "\" must be a column name");
            ok = false;
        } else if (auto problem = identifier_problem(item.Scalar())) {
            loader.error(item, "bad identifier in \"" + key + "\": " + *problem);
            ok = false;
        } else if (std::find(columns.begin(), columns.end(), item.Scalar()) != columns.end()) {
            loader.error(item, "column \"" + item.Scalar() + "\" is listed twice");
            ok = false;
        } else {
            columns.push_back(item.Scalar());
        }
    }
    if (!ok) {
        return std::nullopt;
    }
    return columns;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) {
        out += out.empty() ? "" : "_";
        out += part;
    }
    return out;
}

std::optional<Operation> load_add_check(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "add_check", {"table", "name", "check", "up"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto name = reader.identifier("name", true);
    auto check = reader.expression("check", true);
    std::vector<std::pair<std::string, Expression>> up;
    bool up_ok = true;
    if (YAML::Node up_node = reader.get("up"); up_node.IsDefined()) {
        if (up_node.IsScalar()) {
            // One expression: the value of the one column the check reads.
            auto value = reader.expression("up", false);
            up_ok = value.has_value();
            if (value && check) {
                if (check->column_refs.size() != 1) {
                    loader.error(up_node,
                                 "\"up\" must name the column it sets: the check reads " +
                                     std::to_string(check->column_refs.size()) + " columns",
                                 "write up as a mapping, e.g. up: {price: \"abs(price)\"}");
                    up_ok = false;
                } else {
                    up.emplace_back(check->column_refs.front(), *value);
                }
            }
        } else if (up_node.IsMap() && up_node.size() > 0) {
            std::vector<std::string> names;
            for (const auto& item : up_node) {
                names.push_back(item.first.Scalar());
            }
            MapReader columns(loader, up_node, "up", names);
            for (const auto& column : names) {
                if (auto problem = identifier_problem(column)) {
                    loader.error(up_node, "bad column name in \"up\": " + *problem);
                    up_ok = false;
                } else if (auto value = columns.expression(column, true)) {
                    up.emplace_back(column, *value);
                } else {
                    up_ok = false;
                }
            }
            columns.finish();
        } else {
            loader.error(up_node,
                         "\"up\" must be an expression or a mapping of column to "
                         "expression",
                         "write e.g. up: \"greatest(price, 0)\"");
            up_ok = false;
        }
    }
    reader.finish();
    if (!table || !name || !check || !up_ok) {
        return std::nullopt;
    }
    AddCheck op;
    op.table = *table;
    op.name = *name;
    op.check = *check;
    op.up = std::move(up);
    return op;
}

std::optional<std::string> referential_action(Loader& loader, MapReader& reader,
                                              const std::string& key) {
    static const std::vector<std::string> actions = {"no_action", "restrict", "cascade", "set_null",
                                                     "set_default"};
    auto text = reader.string(key, false);
    if (!text) {
        return "NO ACTION";
    }
    std::string word = *text;
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) {
        return c == ' ' ? '_' : static_cast<char>(std::tolower(c));
    });
    if (std::find(actions.begin(), actions.end(), word) == actions.end()) {
        loader.error(reader.get(key), "unknown " + key + " action \"" + *text + "\"",
                     did_you_mean(word, actions));
        return std::nullopt;
    }
    std::string sql;
    for (char c : word) {
        sql += c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return sql;
}

std::optional<Operation> load_add_foreign_key(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "add_foreign_key",
                     {"table", "name", "columns", "references", "on_delete", "on_update", "index"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto columns = column_list(loader, reader, "columns", true);
    std::optional<std::string> references_table;
    std::vector<std::string> references_columns;
    bool references_ok = false;
    if (YAML::Node references = reader.require("references"); references.IsDefined()) {
        MapReader target(loader, references, "references", {"table", "columns"});
        if (target.ok()) {
            references_table = target.identifier("table", true);
            references_ok = references_table.has_value();
            if (target.get("columns").IsDefined()) {
                auto listed = column_list(loader, target, "columns", false);
                references_ok = references_ok && listed.has_value();
                if (listed) {
                    references_columns = *listed;
                }
            }
            target.finish();
        }
    }
    auto on_delete = referential_action(loader, reader, "on_delete");
    auto on_update = referential_action(loader, reader, "on_update");
    auto index = reader.boolean("index");
    std::optional<std::string> name = reader.identifier("name", false);
    if (!name && table && columns) {
        name = derived_name({*table, joined(*columns), "fkey"}); // PostgreSQL's default
    }
    reader.finish();
    if (!table || !columns || !references_ok || !on_delete || !on_update || !name) {
        return std::nullopt;
    }
    if (!references_columns.empty() && references_columns.size() != columns->size()) {
        loader.error(reader.get("references"),
                     "foreign key \"" + *name + "\" has " + std::to_string(columns->size()) +
                         " columns but references " + std::to_string(references_columns.size()),
                     "list one referenced column for each column, in the same order");
        return std::nullopt;
    }
    AddForeignKey op;
    op.table = *table;
    op.name = *name;
    op.columns = *columns;
    op.references_table = *references_table;
    op.references_columns = references_columns;
    op.on_delete = *on_delete;
    op.on_update = *on_update;
    op.index = index.value_or(false);
    return op;
}

// add_unique and add_primary_key: {table, name, columns}.
template <typename Op>
std::optional<Operation> load_keyed_constraint(Loader& loader, const YAML::Node& node,
                                               const std::string& what, const std::string& suffix) {
    MapReader reader(loader, node, what, {"table", "name", "columns"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto columns = column_list(loader, reader, "columns", true);
    std::optional<std::string> name = reader.identifier("name", false);
    if (!name && table && columns) {
        // PostgreSQL's defaults: <table>_pkey, <table>_<columns>_key.
        name = suffix == "pkey" ? derived_name({*table, suffix})
                                : derived_name({*table, joined(*columns), suffix});
    }
    reader.finish();
    if (!table || !columns || !name) {
        return std::nullopt;
    }
    Op op;
    op.table = *table;
    op.name = *name;
    op.columns = *columns;
    return op;
}

std::optional<Operation> load_drop_constraint(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_constraint", {"table", "name"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto name = reader.identifier("name", true);
    reader.finish();
    if (!table || !name) {
        return std::nullopt;
    }
    return DropConstraint{*table, *name};
}

std::optional<Operation> load_rename_constraint(Loader& loader, const YAML::Node& node) {
    return load_rename_in_table<RenameConstraint>(loader, node, "rename_constraint");
}

std::optional<Operation> load_change_type(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "change_type", {"table", "column", "type", "up", "down"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto column = reader.identifier("column", true);
    auto type = reader.type_name("type", true);
    auto up = reader.expression("up", false);
    auto down = reader.expression("down", false);
    reader.finish();
    if (!table || !column || !type) {
        return std::nullopt;
    }
    return ChangeType{*table, *column, *type, up, down};
}

std::optional<Operation> load_create_table(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "create_table",
                     {"table", "columns", "primary_key", "unique", "checks", "foreign_keys"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    CreateTable op;
    bool ok = true;
    if (auto table = reader.identifier("table", true)) {
        op.table = *table;
    } else {
        ok = false;
    }
    if (YAML::Node columns = reader.require("columns"); columns.IsDefined()) {
        if (!columns.IsSequence() || columns.size() == 0) {
            loader.error(columns, "\"columns\" must be a non-empty list of columns",
                         "write e.g. \"columns: [{name: id, type: bigint, identity: always, "
                         "primary_key: true}]\"");
            ok = false;
        } else {
            for (const auto& item : columns) {
                auto column = load_column(loader, item, true);
                if (!column) {
                    ok = false;
                    continue;
                }
                for (const auto& earlier : op.columns) {
                    if (earlier.name == column->name) {
                        loader.error(item, "column \"" + column->name + "\" is defined twice");
                        ok = false;
                    }
                }
                op.columns.push_back(std::move(*column));
            }
        }
    } else {
        ok = false;
    }
    if (YAML::Node pk = reader.get("primary_key"); pk.IsDefined()) {
        auto names = load_name_list(loader, pk, "primary_key");
        ok = ok && names.has_value();
        op.primary_key = names.value_or(std::vector<std::string>{});
        for (const auto& column : op.columns) {
            if (column.primary_key) {
                loader.error(pk,
                             "the primary key is given twice: by \"primary_key\" and by column "
                             "\"" +
                                 column.name + "\"",
                             "keep one: \"primary_key: [a, b]\" for a composite key, or "
                             "\"primary_key: true\" on the column");
                ok = false;
            }
        }
    }
    for (const auto& column : op.columns) {
        if (column.primary_key) {
            op.primary_key.push_back(column.name);
        }
    }
    if (op.primary_key.size() > 1 && !reader.get("primary_key").IsDefined()) {
        loader.error(reader.get("columns"), "more than one column says \"primary_key: true\"",
                     "for a composite key write \"primary_key: [a, b]\" on the table");
        ok = false;
    }
    auto list_of_maps = [&](const std::string& key, auto&& each) {
        YAML::Node list = reader.get(key);
        if (!list.IsDefined()) {
            return;
        }
        if (!list.IsSequence()) {
            loader.error(list, "\"" + key + "\" must be a list");
            ok = false;
            return;
        }
        for (const auto& item : list) {
            each(item);
        }
    };
    list_of_maps("unique", [&](const YAML::Node& item) {
        MapReader unique(loader, item, "unique", {"name", "columns"});
        if (!unique.ok()) {
            ok = false;
            return;
        }
        UniqueKey key;
        key.name = unique.identifier("name", false).value_or("");
        if (YAML::Node list = unique.require("columns"); list.IsDefined()) {
            auto names = load_name_list(loader, list, "columns");
            ok = ok && names.has_value();
            key.columns = names.value_or(std::vector<std::string>{});
        } else {
            ok = false;
        }
        unique.finish();
        op.unique.push_back(std::move(key));
    });
    list_of_maps("checks", [&](const YAML::Node& item) {
        MapReader check(loader, item, "check", {"name", "expression"});
        if (!check.ok()) {
            ok = false;
            return;
        }
        auto name = check.identifier("name", false);
        auto expression = check.expression("expression", true);
        check.finish();
        if (!expression) {
            ok = false;
            return;
        }
        op.checks.push_back(TableCheck{name.value_or(""), *expression});
    });
    list_of_maps("foreign_keys", [&](const YAML::Node& item) {
        MapReader fk(loader, item, "foreign key", {"name", "columns", "references"});
        if (!fk.ok()) {
            ok = false;
            return;
        }
        TableForeignKey key;
        key.name = fk.identifier("name", false).value_or("");
        if (YAML::Node list = fk.require("columns"); list.IsDefined()) {
            auto names = load_name_list(loader, list, "columns");
            ok = ok && names.has_value();
            key.columns = names.value_or(std::vector<std::string>{});
        } else {
            ok = false;
        }
        if (YAML::Node ref = fk.require("references"); ref.IsDefined()) {
            auto reference = load_reference(loader, ref, true);
            ok = ok && reference.has_value();
            if (reference) {
                key.references = *reference;
                if (!reference->columns.empty() &&
                    reference->columns.size() != key.columns.size()) {
                    loader.error(ref,
                                 "foreign key has " + std::to_string(key.columns.size()) +
                                     " columns but references " +
                                     std::to_string(reference->columns.size()),
                                 "list as many referenced columns as referencing ones");
                    ok = false;
                }
            }
        } else {
            ok = false;
        }
        fk.finish();
        op.foreign_keys.push_back(std::move(key));
    });
    reader.finish();
    if (!ok) {
        return std::nullopt;
    }
    auto defined = [&](const std::string& name) {
        return std::any_of(op.columns.begin(), op.columns.end(),
                           [&](const ColumnDefinition& c) { return c.name == name; });
    };
    auto check_columns = [&](const std::vector<std::string>& columns, const std::string& what,
                             const YAML::Node& at) {
        std::vector<std::string> all;
        for (const auto& column : op.columns) {
            all.push_back(column.name);
        }
        for (const auto& column : columns) {
            if (!defined(column)) {
                loader.error(
                    at, what + " names column \"" + column + "\", which the table does not define",
                    did_you_mean_hint(column, all));
                ok = false;
            }
        }
    };
    check_columns(op.primary_key, "\"primary_key\"",
                  reader.get("primary_key").IsDefined() ? reader.get("primary_key") : node);
    for (const auto& key : op.unique) {
        check_columns(key.columns, "a unique key", reader.get("unique"));
    }
    for (const auto& key : op.foreign_keys) {
        check_columns(key.columns, "a foreign key", reader.get("foreign_keys"));
    }
    return ok ? std::optional<Operation>(op) : std::nullopt;
}

std::optional<Operation> load_drop_table(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_table", {"table"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    reader.finish();
    if (!table) {
        return std::nullopt;
    }
    return DropTable{*table};
}

std::optional<Operation> load_rename_table(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "rename_table", {"from", "to"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto from = reader.identifier("from", true);
    auto to = reader.identifier("to", true);
    reader.finish();
    if (from && to && *from == *to) {
        loader.error(reader.get("to"), "rename_table renames \"" + *from + "\" to itself");
        return std::nullopt;
    }
    if (!from || !to) {
        return std::nullopt;
    }
    return RenameTable{*from, *to};
}

std::optional<Operation> load_drop_column(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_column", {"table", "column", "down"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto column = reader.identifier("column", true);
    auto down = reader.expression("down", false);
    reader.finish();
    if (!table || !column) {
        return std::nullopt;
    }
    if (down && std::find(down->column_refs.begin(), down->column_refs.end(), *column) !=
                    down->column_refs.end()) {
        loader.error(reader.get("down"),
                     R"("down" reads column ")" + *column + "\", the column being dropped",
                     "\"down\" computes the dropped column from the columns that remain");
        return std::nullopt;
    }
    return DropColumn{*table, *column, down};
}

// --- nullability, defaults, drop_index, backfill, sql (issue 3) ---

struct TableColumn {
    std::optional<std::string> table;
    std::optional<std::string> column;
};

TableColumn read_table_column(MapReader& reader) {
    TableColumn out;
    out.table = reader.identifier("table", true);
    out.column = reader.identifier("column", true);
    return out;
}

std::optional<Operation> load_set_not_null(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "set_not_null", {"table", "column", "up"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const TableColumn target = read_table_column(reader);
    auto up = reader.expression("up", false);
    reader.finish();
    if (!target.table || !target.column) {
        return std::nullopt;
    }
    return SetNotNull{*target.table, *target.column, up};
}

std::optional<Operation> load_drop_not_null(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_not_null", {"table", "column"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const TableColumn target = read_table_column(reader);
    reader.finish();
    if (!target.table || !target.column) {
        return std::nullopt;
    }
    return DropNotNull{*target.table, *target.column};
}

std::optional<Operation> load_set_default(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "set_default", {"table", "column", "default"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const TableColumn target = read_table_column(reader);
    auto value = reader.expression("default", true);
    reader.finish();
    if (value && !value->column_refs.empty()) {
        loader.error(reader.get("default"),
                     "a default cannot read column \"" + value->column_refs.front() + "\"",
                     "PostgreSQL evaluates a default before the row exists; to derive a value "
                     "from other columns use add_column's \"up\" or a backfill");
        return std::nullopt;
    }
    if (!target.table || !target.column || !value) {
        return std::nullopt;
    }
    return SetDefault{*target.table, *target.column, *value};
}

std::optional<Operation> load_drop_default(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_default", {"table", "column"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const TableColumn target = read_table_column(reader);
    reader.finish();
    if (!target.table || !target.column) {
        return std::nullopt;
    }
    return DropDefault{*target.table, *target.column};
}

std::optional<Operation> load_drop_index(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "drop_index", {"name"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto name = reader.identifier("name", true);
    reader.finish();
    if (!name) {
        return std::nullopt;
    }
    return DropIndex{*name};
}

std::optional<Operation> load_backfill_data(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "backfill", {"table", "set", "where"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    BackfillData out;
    bool set_ok = false;
    if (YAML::Node set = reader.require("set"); set.IsDefined()) {
        if (!set.IsMap() || set.size() == 0) {
            loader.error(set, "\"set\" must map one or more columns to expressions",
                         "write e.g. set: {status: \"lower(status)\"}");
        } else {
            MapReader columns(loader, set, "set", {});
            set_ok = true;
            for (const auto& item : set) {
                if (!item.first.IsScalar()) {
                    set_ok = false; // reported by the reader
                    continue;
                }
                const std::string column = item.first.Scalar();
                if (std::any_of(out.set.begin(), out.set.end(),
                                [&](const auto& done) { return done.first == column; })) {
                    set_ok = false; // a duplicate key, reported by the reader
                    continue;
                }
                if (auto problem = identifier_problem(column)) {
                    loader.error(item.first, "bad column name in \"set\": " + *problem);
                    set_ok = false;
                    continue;
                }
                auto expression = columns.expression(column, true);
                if (!expression) {
                    set_ok = false;
                    continue;
                }
                out.set.emplace_back(column, *expression);
            }
        }
    }
    auto where = reader.expression("where", false);
    reader.finish();
    if (!table || !set_ok) {
        return std::nullopt;
    }
    out.table = *table;
    out.where = where;
    return out;
}

// The first table a parse tree names (a RangeVar: `relation`, FROM items), or "".
std::string first_table(const nlohmann::json& node) {
    if (node.is_object()) {
        if (node.contains("relname") && node.at("relname").is_string()) {
            return node.at("relname").get<std::string>();
        }
        for (const auto& [key, value] : node.items()) {
            if (std::string found = first_table(value); !found.empty()) {
                return found;
            }
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            if (std::string found = first_table(item); !found.empty()) {
                return found;
            }
        }
    }
    return "";
}

// Reads raw SQL (sql's up or down), split into statements by PostgreSQL's parser. A parse
// error is reported where it is in the plan file: exactly for a one-line scalar or a literal
// block (|), at the scalar for other forms.
std::optional<SqlText> read_sql_text(Loader& loader, MapReader& reader, const std::string& key,
                                     bool required, bool transactional) {
    auto text = reader.string(key, required);
    if (!text) {
        return std::nullopt;
    }
    const YAML::Node node = reader.get(key);
    SqlText sql;
    sql.text = *text;
    sql.mark = loader.mark(node);
    const std::string* plan = loader.text();
    std::vector<std::string> lines; // the plan's lines
    if (plan != nullptr) {
        std::istringstream in(*plan);
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
    }
    const auto at = [&](int line) -> std::string {
        return line >= 1 && static_cast<std::size_t>(line) <= lines.size()
                   ? lines[static_cast<std::size_t>(line) - 1]
                   : std::string();
    };
    const std::string indicator_line = at(sql.mark.line);
    const auto indicator = static_cast<std::size_t>(std::max(0, sql.mark.column - 1));
    const char first = indicator < indicator_line.size() ? indicator_line[indicator] : ' ';
    if (first == '|') {
        // Literal block: text line n is plan line mark.line + n, after the block's indent.
        std::size_t indent = std::string::npos;
        for (int line = sql.mark.line + 1; line <= static_cast<int>(lines.size()); ++line) {
            const std::string content = at(line);
            const std::size_t spaces = content.find_first_not_of(' ');
            if (spaces != std::string::npos) {
                indent = spaces;
                break;
            }
        }
        std::istringstream in(sql.text);
        bool matches = indent != std::string::npos;
        int n = 0;
        for (std::string line; matches && std::getline(in, line); ++n) {
            const std::string source = at(sql.mark.line + 1 + n);
            matches = line.empty() || (source.size() >= indent && source.substr(indent) == line);
        }
        sql.mapped = matches;
        if (matches) {
            sql.block = true;
            sql.mark.line += 1;
            sql.mark.column = static_cast<int>(indent) + 1;
        }
    } else if (first == '"' || first == '\'') {
        sql.mark.column += 1;
        sql.mapped = sql.text.find('\n') == std::string::npos;
    } else if (first == '>') {
        sql.mapped = false; // folded: lines joined, columns shifted
    }
    const lint::SourceFile parsed(loader.file(), sql.text);
    // The whole text first: the statement splitter drops some unparsable pieces ("SELEC 1").
    PgQueryParseResult whole = pg_query_parse(sql.text.c_str());
    std::optional<std::string> problem;
    SourceMark where = sql.mark;
    if (whole.error != nullptr) {
        problem = whole.error->message;
        const SourceMark inside = parsed.mark_at(
            whole.error->cursorpos > 0 ? static_cast<std::size_t>(whole.error->cursorpos - 1) : 0);
        where = locate(sql, inside.line, inside.column);
    }
    pg_query_free_parse_result(whole);
    if (problem) {
        loader.diagnostics().error(where, "invalid SQL in \"" + key + "\": " + *problem,
                                   "\"" + key + "\" is run as written; fix the statement");
        return std::nullopt;
    }
    for (const auto& statement : parsed.statements()) {
        if (statement.kind.empty()) {
            continue; // cannot happen once the whole text parsed; nothing to run
        }
        const nlohmann::json& body = statement.node.at(statement.kind);
        const bool concurrent = body.is_object() && body.value("concurrent", false);
        if (transactional && (concurrent || statement.kind == "VacuumStmt")) {
            loader.diagnostics().error(
                locate(sql, statement.mark.line, statement.mark.column),
                "\"" + key + "\" runs in a transaction, which " +
                    (concurrent ? std::string("CONCURRENTLY") : "VACUUM") + " cannot run in",
                "add \"transactional: false\" to this sql change (each statement then runs on "
                "its own)");
            return std::nullopt;
        }
        sql.statements.push_back(statement.text);
        if (sql.table.empty()) {
            sql.table = first_table(statement.node);
        }
    }
    if (sql.statements.empty()) {
        loader.error(node, "\"" + key + "\" holds no SQL statement");
        return std::nullopt;
    }
    return sql;
}

std::optional<Operation> load_sql(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "sql", {"up", "down", "phase", "transactional"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    RawSql out;
    const bool transactional = reader.boolean("transactional").value_or(true);
    auto up = read_sql_text(loader, reader, "up", true, transactional);
    auto down = read_sql_text(loader, reader, "down", false, transactional);
    bool ok = up.has_value() && (down.has_value() || !reader.get("down").IsDefined());
    if (auto phase = reader.string("phase", false)) {
        static const std::vector<std::string> phases = {"expand", "backfill", "contract"};
        if (std::find(phases.begin(), phases.end(), *phase) == phases.end()) {
            loader.error(reader.get("phase"), "unknown phase \"" + *phase + "\"",
                         did_you_mean(*phase, phases));
            ok = false;
        } else {
            out.phase = *phase;
        }
    }
    out.transactional = transactional;
    reader.finish();
    if (!ok) {
        return std::nullopt;
    }
    if (down && out.phase == "contract") {
        loader.error(reader.get("down"), "\"down\" of a contract-phase sql change never runs",
                     "contract is not rolled back; drop \"down\" or run the change in expand");
        return std::nullopt;
    }
    out.table = up->table;
    out.up = std::move(*up);
    out.down = std::move(down);
    return out;
}

const std::vector<std::string>& operation_names() {
    static const std::vector<std::string> names = {
        "rename_column",   "add_column",      "create_index",
        "add_check",       "add_foreign_key", "add_unique",
        "add_primary_key", "drop_constraint", "rename_constraint",
        "change_type",     "create_table",    "drop_table",
        "rename_table",    "drop_column",     "set_not_null",
        "drop_not_null",   "set_default",     "drop_default",
        "drop_index",      "backfill",        "sql"};
    return names;
}

std::optional<Change> load_change(Loader& loader, const YAML::Node& node) {
    if (!node.IsMap() || node.size() != 1) {
        loader.error(node, "each change must be a mapping with exactly one operation",
                     "write e.g. \"- rename_column: {table: users, from: email, to: "
                     "email_address}\"");
        return std::nullopt;
    }
    const auto item = *node.begin();
    if (!item.first.IsScalar()) {
        loader.error(item.first, "an operation name must be a plain name",
                     did_you_mean("", operation_names()));
        return std::nullopt;
    }
    const auto operation = item.first.Scalar();
    std::optional<Operation> loaded;
    if (operation == "rename_column") {
        loaded = load_rename_column(loader, item.second);
    } else if (operation == "add_column") {
        loaded = load_add_column(loader, item.second);
    } else if (operation == "create_index") {
        loaded = load_create_index(loader, item.second);
    } else if (operation == "add_check") {
        loaded = load_add_check(loader, item.second);
    } else if (operation == "add_foreign_key") {
        loaded = load_add_foreign_key(loader, item.second);
    } else if (operation == "add_unique") {
        loaded = load_keyed_constraint<AddUnique>(loader, item.second, "add_unique", "key");
    } else if (operation == "add_primary_key") {
        loaded =
            load_keyed_constraint<AddPrimaryKey>(loader, item.second, "add_primary_key", "pkey");
    } else if (operation == "drop_constraint") {
        loaded = load_drop_constraint(loader, item.second);
    } else if (operation == "rename_constraint") {
        loaded = load_rename_constraint(loader, item.second);
    } else if (operation == "change_type") {
        loaded = load_change_type(loader, item.second);
    } else if (operation == "create_table") {
        loaded = load_create_table(loader, item.second);
    } else if (operation == "drop_table") {
        loaded = load_drop_table(loader, item.second);
    } else if (operation == "rename_table") {
        loaded = load_rename_table(loader, item.second);
    } else if (operation == "drop_column") {
        loaded = load_drop_column(loader, item.second);
    } else if (operation == "set_not_null") {
        loaded = load_set_not_null(loader, item.second);
    } else if (operation == "drop_not_null") {
        loaded = load_drop_not_null(loader, item.second);
    } else if (operation == "set_default") {
        loaded = load_set_default(loader, item.second);
    } else if (operation == "drop_default") {
        loaded = load_drop_default(loader, item.second);
    } else if (operation == "drop_index") {
        loaded = load_drop_index(loader, item.second);
    } else if (operation == "backfill") {
        loaded = load_backfill_data(loader, item.second);
    } else if (operation == "sql") {
        loaded = load_sql(loader, item.second);
    } else {
        loader.error(item.first, "unknown operation \"" + operation + "\"",
                     did_you_mean(operation, operation_names()));
        return std::nullopt;
    }
    if (!loaded) {
        return std::nullopt;
    }
    return Change{*loaded, loader.mark(item.first)};
}

bool valid_migration_name(const std::string& name) {
    return !name.empty() && name.size() <= 48 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// Names the plan would create twice: two indexes, or two columns on one table.
void check_duplicates(Loader& loader, const Plan& plan) {
    std::map<std::string, SourceMark> created;
    auto claim = [&](const std::string& key, const std::string& what, const SourceMark& mark) {
        auto [it, inserted] = created.emplace(key, mark);
        if (!inserted) {
            loader.diagnostics().error(mark, "duplicate name: " + what + " is created twice",
                                       "first created at " + it->second.file + ":" +
                                           std::to_string(it->second.line));
        }
    };
    for (const auto& change : plan.changes) {
        if (const auto* index = std::get_if<CreateIndex>(&change.operation)) {
            claim("relation:" + index->name, "index \"" + index->name + "\"", change.mark);
        } else if (const auto* add = std::get_if<AddColumn>(&change.operation)) {
            claim("column:" + add->table + "." + add->column.name,
                  "column \"" + add->table + "\".\"" + add->column.name + "\"", change.mark);
        } else if (const auto* rename = std::get_if<RenameColumn>(&change.operation)) {
            claim("column:" + rename->table + "." + rename->to,
                  "column \"" + rename->table + "\".\"" + rename->to + "\"", change.mark);
        } else if (const auto* unique = std::get_if<AddUnique>(&change.operation)) {
            claim("relation:" + unique->name, "index \"" + unique->name + "\"", change.mark);
        } else if (const auto* primary = std::get_if<AddPrimaryKey>(&change.operation)) {
            claim("relation:" + primary->name, "index \"" + primary->name + "\"", change.mark);
            claim("primary_key:" + primary->table, "a primary key of \"" + primary->table + "\"",
                  change.mark);
        } else if (const auto* create = std::get_if<CreateTable>(&change.operation)) {
            claim("relation:" + create->table, "table \"" + create->table + "\"", change.mark);
        } else if (const auto* rename_table = std::get_if<RenameTable>(&change.operation)) {
            claim("relation:" + rename_table->to, "table \"" + rename_table->to + "\"",
                  change.mark);
        }
    }
}

// A path in the plan is relative to the plan file, not to where pgphase runs (path arithmetic
// only: nothing is read here).
std::string resolve_against_plan(const std::string& plan_file, const std::string& path) {
    const std::filesystem::path given(path);
    if (given.is_absolute()) {
        return given.lexically_normal().string();
    }
    return (std::filesystem::path(plan_file).parent_path() / given).lexically_normal().string();
}

} // namespace

std::optional<Milliseconds> parse_duration(const std::string& text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 12) {
        return std::nullopt;
    }
    const std::int64_t amount = std::stoll(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    static const std::map<std::string, std::int64_t> units = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    auto it = units.find(unit);
    if (it == units.end() || amount > std::numeric_limits<std::int64_t>::max() / it->second) {
        return std::nullopt;
    }
    return Milliseconds{amount * it->second};
}

std::optional<std::int64_t> parse_bytes(const std::string& text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 15) {
        return std::nullopt;
    }
    const std::int64_t amount = std::stoll(text.substr(0, digits));
    static const std::map<std::string, std::int64_t> units = {
        {"", 1}, {"B", 1}, {"kB", 1024}, {"MB", 1024 * 1024}, {"GB", 1024 * 1024 * 1024}};
    auto it = units.find(text.substr(digits));
    if (it == units.end() || amount > std::numeric_limits<std::int64_t>::max() / it->second) {
        return std::nullopt;
    }
    return amount * it->second;
}

LoadResult load_plan_text(const std::string& text, const std::string& file_name) {
    LoadResult result;
    Loader loader(file_name, result.diagnostics);
    loader.set_text(&text);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        result.diagnostics.error({file_name, e.mark.line + 1, e.mark.column + 1},
                                 "invalid YAML: " + e.msg);
        return result;
    }
    if (!root.IsMap()) {
        result.diagnostics.error({file_name, 1, 1},
                                 R"(a plan must be a mapping with "name" and "changes")");
        return result;
    }
    Plan plan;
    plan.source_file = file_name;
    plan.source_text = text;
    MapReader reader(loader, root, "plan",
                     {"name", "schema", "settings", "prisma_migration", "changes"});
    if (auto name = reader.string("name", true)) {
        if (!valid_migration_name(*name)) {
            loader.error(reader.get("name"), "bad migration name \"" + *name + "\"",
                         "use 1 to 48 characters from a-z, 0-9 and _, e.g. "
                         "20261123_rename_users_email");
        } else {
            plan.name = *name;
        }
    }
    if (auto schema = reader.identifier("schema", false)) {
        plan.schema = *schema;
    }
    if (YAML::Node settings = reader.get("settings"); settings.IsDefined()) {
        load_settings(loader, settings, plan.settings);
    }
    if (auto dir = reader.string("prisma_migration", false)) {
        if (dir->empty()) {
            loader.error(reader.get("prisma_migration"), "\"prisma_migration\" is empty",
                         "give a Prisma migration directory, e.g. "
                         "prisma/migrations/20261125093000_rename_email");
        } else {
            plan.prisma_migration = resolve_against_plan(file_name, *dir);
        }
    }
    if (YAML::Node changes = reader.require("changes"); changes.IsDefined()) {
        if (!changes.IsSequence() || changes.size() == 0) {
            loader.error(changes, "\"changes\" must be a non-empty list");
        } else {
            for (const auto& node : changes) {
                if (auto change = load_change(loader, node)) {
                    plan.changes.push_back(std::move(*change));
                }
            }
        }
    }
    reader.finish();
    check_duplicates(loader, plan);
    if (!result.diagnostics.has_errors()) {
        result.plan = std::move(plan);
    }
    return result;
}

LoadResult load_plan_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        LoadResult result;
        result.diagnostics.error({path, 0, 0}, "cannot read plan file",
                                 "check that the path exists and is readable");
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_plan_text(text.str(), path);
}

} // namespace pgphase::planners
