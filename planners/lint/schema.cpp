// Replays CREATE TABLE, ADD/DROP/ALTER COLUMN, renames, CREATE/DROP TYPE and CREATE INDEX
// into table -> column -> type, so a later ALTER COLUMN TYPE knows what it converts from, and
// into the tables' unique keys, so an UPDATE's WHERE can be told to select one row. Pure.
#include "planners/lint/schema.hpp"

#include <algorithm>
#include <pg_query.h>

namespace pgphase::planners::lint {

const ColumnType* SchemaModel::column_type(const TableName& table,
                                           const std::string& column) const {
    const auto found = m_tables.find(table.key());
    if (found == m_tables.end()) {
        return nullptr;
    }
    const auto type = found->second.find(column);
    return type == found->second.end() ? nullptr : &type->second;
}

bool SchemaModel::knows_table(const TableName& table) const {
    return m_tables.count(table.key()) != 0;
}

std::optional<TableName> SchemaModel::index_table(const std::string& index_name) const {
    const auto found = m_indexes.find(index_name);
    if (found == m_indexes.end()) {
        return std::nullopt;
    }
    return found->second;
}

bool SchemaModel::proven_not_null(const TableName& table, const std::string& column) const {
    const auto found = m_not_null_checks.find(table.key());
    if (found == m_not_null_checks.end()) {
        return false;
    }
    return std::any_of(found->second.begin(), found->second.end(), [&](const auto& entry) {
        return entry.second.validated && entry.second.column == column;
    });
}

std::string SchemaModel::not_null_check(const TableName& table,
                                        const std::string& constraint) const {
    const auto found = m_not_null_checks.find(table.key());
    if (found == m_not_null_checks.end()) {
        return {};
    }
    const auto check = found->second.find(constraint);
    return check == found->second.end() ? std::string() : check->second.column;
}

std::vector<std::vector<std::string>> SchemaModel::unique_keys(const TableName& table) const {
    std::vector<std::vector<std::string>> out;
    const auto found = m_keys.find(table.key());
    if (found != m_keys.end()) {
        for (const auto& [name, columns] : found->second) {
            out.push_back(columns);
        }
    }
    return out;
}

void SchemaModel::add_key(const TableName& table, const json& constraint,
                          const std::vector<std::string>& columns) {
    const std::string type = string_field(constraint, "contype");
    if ((type != "CONSTR_PRIMARY" && type != "CONSTR_UNIQUE") || columns.empty()) {
        return;
    }
    std::string name = string_field(constraint, "conname");
    if (name.empty()) { // PostgreSQL's default name
        name = table.name;
        if (type == "CONSTR_PRIMARY") {
            name += "_pkey";
        } else {
            for (const std::string& column : columns) {
                name += "_" + column;
            }
            name += "_key";
        }
    }
    m_keys[table.key()][name] = columns;
}

void SchemaModel::apply_index(const json& index) {
    const TableName table = table_from_range_var(index.value("relation", json::object()));
    const std::string name = string_field(index, "idxname");
    if (!name.empty()) {
        m_indexes[name] = table;
    }
    if (!index.value("unique", false) || index.contains("whereClause") || name.empty()) {
        return; // a partial unique index does not make its columns a key of every row
    }
    std::vector<std::string> columns;
    for (const json& param : index.value("indexParams", json::array())) {
        const std::string column = string_field(param.value("IndexElem", json::object()), "name");
        if (column.empty()) {
            return; // an expression
        }
        columns.push_back(column);
    }
    if (!columns.empty()) {
        m_keys[table.key()][name] = std::move(columns);
    }
}

namespace {

// Moves the entry of key `from`, if any, to key `to` (a rename).
template <typename Map>
void rename_entry(Map& map, const std::string& from, const std::string& to) {
    const auto found = map.find(from);
    if (found != map.end()) {
        auto moved = std::move(found->second);
        map.erase(found);
        map[to] = std::move(moved);
    }
}

} // namespace

void SchemaModel::move_table(const std::string& from, const std::string& to) {
    rename_entry(m_tables, from, to);
    rename_entry(m_not_null_checks, from, to);
    rename_entry(m_keys, from, to);
}

void SchemaModel::set_column_type(const TableName& table, const std::string& column,
                                  ColumnType type) {
    m_tables[table.key()][column] = std::move(type);
}

void SchemaModel::seed(const planners::Catalog& catalog) {
    for (const planners::CatalogTable& table : catalog.tables) {
        TableName name;
        name.schema = table.schema;
        name.name = table.name;
        auto& columns = m_tables[name.key()];
        for (const planners::CatalogColumn& column : table.columns) {
            if (auto type = parse_format_type(column.type)) {
                columns[column.name] = std::move(*type);
            }
        }
        for (const planners::CatalogIndex& index : table.indexes) {
            m_indexes[index.name] = name;
            // key_columns holds INCLUDE columns too: requiring them as well is only stricter.
            if (index.unique && index.valid && !index.partial && !index.expressions) {
                m_keys[name.key()][index.name] =
                    index.key_columns.empty() ? index.columns : index.key_columns;
            }
        }
        // pg_get_constraintdef writes such a check as CHECK ((col IS NOT NULL)) [NOT VALID],
        // the column quoted where it must be; any other spelling is not taken for one.
        for (const planners::CatalogConstraint& constraint : table.constraints) {
            if (constraint.type != 'c' || constraint.incoming || constraint.columns.size() != 1) {
                continue;
            }
            const std::string& column = constraint.columns[0];
            const std::string check = "CHECK ((" + quote_name(column) + " IS NOT NULL))";
            if (constraint.definition == check || constraint.definition == check + " NOT VALID") {
                m_not_null_checks[name.key()][constraint.name] = {column, constraint.validated};
            }
        }
    }
}

void SchemaModel::apply(const Statement& statement) {
    apply(statement, statement.tree());
}

void SchemaModel::apply(const Statement& statement, const json& tree) {
    if (statement.kind.empty()) {
        return;
    }
    const json& body = tree.at(statement.kind);
    if (statement.kind == "CreateStmt") {
        const TableName table = table_from_range_var(body.value("relation", json::object()));
        auto& columns = m_tables[table.key()];
        columns.clear();
        m_keys.erase(table.key());
        for (const json& element : body.value("tableElts", json::array())) {
            if (element.contains("ColumnDef")) {
                const json& column = element.at("ColumnDef");
                const std::string name = string_field(column, "colname");
                columns[name] = lint::column_type(column.value("typeName", json::object()));
                for (const json& constraint : column.value("constraints", json::array())) {
                    add_key(table, constraint.value("Constraint", json::object()), {name});
                }
            } else if (element.contains("Constraint")) {
                const json& constraint = element.at("Constraint");
                add_key(table, constraint, string_list(constraint.value("keys", json::array())));
            }
        }
    } else if (statement.kind == "AlterTableStmt") {
        apply_alter_table(body);
    } else if (statement.kind == "RenameStmt") {
        apply_rename(body);
    } else if (statement.kind == "DropStmt") {
        apply_drop(body);
    } else if (statement.kind == "CreateEnumStmt") {
        const auto names = string_list(body.value("typeName", json::array()));
        if (!names.empty()) {
            m_enums.insert(names.back());
        }
    } else if (statement.kind == "IndexStmt") {
        apply_index(body);
    }
}

void SchemaModel::apply_alter_table(const json& alter) {
    if (string_field(alter, "objtype") != "OBJECT_TABLE") {
        return;
    }
    const TableName table = table_from_range_var(alter.value("relation", json::object()));
    for (const json& item : alter.value("cmds", json::array())) {
        const json& cmd = item.value("AlterTableCmd", json::object());
        const std::string subtype = string_field(cmd, "subtype");
        if (subtype == "AT_AddColumn") {
            const json& column = cmd.at("def").at("ColumnDef");
            m_tables[table.key()][string_field(column, "colname")] =
                lint::column_type(column.value("typeName", json::object()));
        } else if (subtype == "AT_DropColumn") {
            const std::string column = string_field(cmd, "name");
            const auto found = m_tables.find(table.key());
            if (found != m_tables.end()) {
                found->second.erase(column);
            }
            std::erase_if(m_not_null_checks[table.key()],
                          [&](const auto& entry) { return entry.second.column == column; });
            std::erase_if(m_keys[table.key()], [&](const auto& entry) {
                const auto& key = entry.second;
                return std::find(key.begin(), key.end(), column) != key.end();
            });
        } else if (subtype == "AT_AddConstraint") {
            const json& constraint = cmd.at("def").value("Constraint", json::object());
            const std::string column = not_null_check_column(constraint);
            if (!column.empty()) {
                m_not_null_checks[table.key()][string_field(constraint, "conname")] = {
                    column, !constraint.value("skip_validation", false)};
            }
            if (const std::string index = string_field(constraint, "indexname"); !index.empty()) {
                // ADD CONSTRAINT ... USING INDEX: the index becomes the constraint's, renamed.
                auto& keys = m_keys[table.key()];
                const auto found = keys.find(index);
                if (found != keys.end()) {
                    auto columns = std::move(found->second);
                    keys.erase(found);
                    add_key(table, constraint, columns);
                }
            } else {
                add_key(table, constraint, string_list(constraint.value("keys", json::array())));
            }
        } else if (subtype == "AT_ValidateConstraint") {
            auto& checks = m_not_null_checks[table.key()];
            const auto check = checks.find(string_field(cmd, "name"));
            if (check != checks.end()) {
                check->second.validated = true;
            }
        } else if (subtype == "AT_DropConstraint") {
            m_not_null_checks[table.key()].erase(string_field(cmd, "name"));
            m_keys[table.key()].erase(string_field(cmd, "name"));
        } else if (subtype == "AT_AlterColumnType") {
            m_tables[table.key()][string_field(cmd, "name")] =
                lint::column_type(cmd.at("def").at("ColumnDef").value("typeName", json::object()));
        }
    }
}

void SchemaModel::apply_rename(const json& rename) {
    const std::string type = string_field(rename, "renameType");
    const std::string new_name = string_field(rename, "newname");
    if (type == "OBJECT_COLUMN") {
        const TableName table = table_from_range_var(rename.value("relation", json::object()));
        const std::string old_name = string_field(rename, "subname");
        for (auto& [constraint, check] : m_not_null_checks[table.key()]) {
            if (check.column == old_name) {
                check.column = new_name;
            }
        }
        for (auto& [name, key] : m_keys[table.key()]) {
            std::replace(key.begin(), key.end(), old_name, new_name);
        }
        const auto found = m_tables.find(table.key());
        if (found == m_tables.end()) {
            return;
        }
        const auto column = found->second.find(old_name);
        if (column != found->second.end()) {
            ColumnType moved = column->second;
            found->second.erase(column);
            found->second[new_name] = std::move(moved);
        }
    } else if (type == "OBJECT_TABLE") {
        const TableName table = table_from_range_var(rename.value("relation", json::object()));
        TableName renamed = table;
        renamed.name = new_name;
        move_table(table.key(), renamed.key());
        for (auto& [index, on] : m_indexes) {
            if (on.key() == table.key()) {
                on = renamed;
            }
        }
    } else if (type == "OBJECT_TABCONSTRAINT" || type == "OBJECT_INDEX") {
        // A unique constraint's index takes its name, and the other way round.
        const TableName relation = table_from_range_var(rename.value("relation", json::object()));
        const std::string old_name =
            type == "OBJECT_INDEX" ? relation.name : string_field(rename, "subname");
        std::optional<TableName> table = relation;
        if (type == "OBJECT_INDEX") {
            table = index_table(old_name);
            if (table) {
                m_indexes.erase(old_name);
                m_indexes[new_name] = *table;
            }
        }
        if (!table) {
            return;
        }
        rename_entry(m_keys[table->key()], old_name, new_name);
        if (type == "OBJECT_TABCONSTRAINT") {
            rename_entry(m_not_null_checks[table->key()], old_name, new_name);
        }
    } else if (type == "OBJECT_TYPE") {
        const auto names = string_list(rename.value("object", json::object()));
        if (names.empty()) {
            return;
        }
        const std::string& old_name = names.back();
        if (m_enums.erase(old_name) != 0) {
            m_enums.insert(new_name);
        }
        // Columns follow their type: the last step of the enum dance renames `E_new` to `E`.
        for (auto& [key, columns] : m_tables) {
            for (auto& [column, column_type] : columns) {
                if (column_type.name == old_name) {
                    column_type.name = new_name;
                }
            }
        }
    }
}

void SchemaModel::apply_drop(const json& drop) {
    const std::string type = string_field(drop, "removeType");
    for (const json& object : drop.value("objects", json::array())) {
        // Tables and indexes come as name lists, types as TypeName nodes.
        const auto names = object.contains("TypeName")
                               ? string_list(object.at("TypeName").value("names", json::array()))
                               : string_list(object);
        if (names.empty()) {
            continue;
        }
        if (type == "OBJECT_TABLE") {
            TableName table;
            table.name = names.back();
            if (names.size() > 1) {
                table.schema = names[names.size() - 2];
            }
            m_tables.erase(table.key());
            m_not_null_checks.erase(table.key());
            m_keys.erase(table.key());
        } else if (type == "OBJECT_TYPE") {
            m_enums.erase(names.back());
        } else if (type == "OBJECT_INDEX") {
            if (const auto table = index_table(names.back())) {
                m_keys[table->key()].erase(names.back());
            }
            m_indexes.erase(names.back());
        }
    }
}

} // namespace pgphase::planners::lint
