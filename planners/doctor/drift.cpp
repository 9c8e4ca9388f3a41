// The replay of a migrations folder (CREATE/ALTER/DROP/RENAME of tables, columns, constraints
// and indexes, read from libpg_query's parse tree) and its comparison with the live catalog.
// Pure.
#include "planners/doctor/drift.hpp"

#include "planners/lint/sql_tree.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <pg_query.h>

namespace pgphase::planners::doctor {

using nlohmann::json;

namespace {

const json& field(const json& node, const char* name) {
    static const json empty = json::object();
    const auto found = node.find(name);
    return found == node.end() ? empty : *found;
}

const json& list(const json& node, const char* name) {
    static const json empty = json::array();
    const auto found = node.find(name);
    return found == node.end() || !found->is_array() ? empty : *found;
}

std::string table_part(const std::string& key) {
    return key.substr(key.find('.') + 1);
}

std::string schema_part(const std::string& key) {
    return key.substr(0, key.find('.'));
}

std::string display(const std::string& key) {
    return QualifiedName{schema_part(key), table_part(key)}.sql();
}

// serial and its kin are an integer column with a sequence default and NOT NULL.
std::optional<std::string> serial_type(const std::string& type) {
    if (type == "serial" || type == "serial4") {
        return "int4";
    }
    if (type == "bigserial" || type == "serial8") {
        return "int8";
    }
    if (type == "smallserial" || type == "serial2") {
        return "int2";
    }
    return std::nullopt;
}

Finding drift_finding(const std::string& object, const std::string& message,
                      const std::string& folder) {
    return {"schema-drift",
            object,
            message,
            "the live schema differs from what " + folder +
                " produces: write a migration for the change, or undo the hand edit",
            {}};
}

} // namespace

std::string canonical_type(const std::string& format_type_text) {
    const auto type = lint::parse_format_type(format_type_text);
    return type ? type->display() : format_type_text;
}

std::string ReplayedSchema::key(const json& range_var) {
    std::string schema = lint::string_field(range_var, "schemaname");
    if (schema.empty()) {
        schema = m_default_schema;
    }
    m_schemas.insert(schema);
    return schema + "." + lint::string_field(range_var, "relname");
}

std::string ReplayedSchema::apply_script(const std::string& sql) {
    PgQueryParseResult result = pg_query_parse(sql.c_str());
    if (result.error != nullptr) {
        std::string error = result.error->message;
        pg_query_free_parse_result(result);
        return error;
    }
    const json tree = json::parse(result.parse_tree);
    pg_query_free_parse_result(result);
    for (const json& raw : list(tree, "stmts")) {
        for (const auto& [kind, body] : field(raw, "stmt").items()) {
            apply(kind, body);
        }
    }
    return {};
}

void ReplayedSchema::apply(const std::string& kind, const json& body) {
    if (kind == "CreateStmt") {
        create_table(body);
    } else if (kind == "AlterTableStmt") {
        alter_table(body);
    } else if (kind == "RenameStmt") {
        rename(body);
    } else if (kind == "DropStmt") {
        drop(body);
    } else if (kind == "IndexStmt") {
        const std::string table = key(field(body, "relation"));
        Index index{table, body.value("unique", false) || body.value("primary", false)};
        std::string name = lint::string_field(body, "idxname");
        if (name.empty()) { // PostgreSQL's own choice: <table>_<columns>_idx
            std::vector<std::string> columns;
            for (const json& element : list(body, "indexParams")) {
                const std::string column = lint::string_field(field(element, "IndexElem"), "name");
                columns.push_back(column.empty() ? "expr" : column);
            }
            name = derived_name({table_part(table), joined(columns), "idx"});
        }
        m_indexes[schema_part(table) + "." + name] = index;
    } else if (kind == "CreateSchemaStmt") {
        m_schemas.insert(lint::string_field(body, "schemaname"));
    }
}

void ReplayedSchema::create_table(const json& body) {
    const std::string table = key(field(body, "relation"));
    if (body.value("if_not_exists", false) && m_tables.count(table) != 0) {
        return;
    }
    m_tables[table] = {};
    for (const json& element : list(body, "tableElts")) {
        if (element.contains("ColumnDef")) {
            add_column(table, element.at("ColumnDef"));
        } else if (element.contains("Constraint")) {
            add_constraint(table, element.at("Constraint"), {});
        }
    }
}

void ReplayedSchema::add_column(const std::string& table, const json& column_def) {
    const std::string name = lint::string_field(column_def, "colname");
    Column column;
    column.type = lint::column_type(field(column_def, "typeName")).display();
    if (const auto serial = serial_type(column.type)) {
        column.type = lint::ColumnType{*serial, {}, true, 0}.display();
        column.not_null = true;
        column.has_default = true;
    }
    column.not_null = column.not_null || column_def.value("is_not_null", false);
    auto& entry = m_tables[table];
    if (entry.columns.count(name) == 0) {
        entry.order.push_back(name);
    }
    entry.columns[name] = column;
    for (const json& item : list(column_def, "constraints")) {
        add_constraint(table, field(item, "Constraint"), {name});
    }
}

// A constraint of a column (`column_names` is that column) or of the table (its keys).
void ReplayedSchema::add_constraint(const std::string& table, const json& constraint,
                                    const std::vector<std::string>& column_names) {
    const std::string type = lint::string_field(constraint, "contype");
    auto& columns = m_tables[table].columns;
    std::vector<std::string> keys = lint::string_list(list(constraint, "keys"));
    if (keys.empty()) {
        keys = column_names;
    }
    if (type == "CONSTR_NOTNULL" || type == "CONSTR_IDENTITY" || type == "CONSTR_PRIMARY") {
        for (const auto& column : keys) {
            columns[column].not_null = true;
        }
    }
    if (type == "CONSTR_DEFAULT" || type == "CONSTR_IDENTITY" || type == "CONSTR_GENERATED") {
        for (const auto& column : keys) {
            columns[column].has_default = true;
        }
    }
    if (type != "CONSTR_PRIMARY" && type != "CONSTR_UNIQUE") {
        return;
    }
    std::string name = lint::string_field(constraint, "conname");
    if (name.empty()) {
        // PostgreSQL's own choice: <table>_pkey, <table>_<columns>_key.
        name = type == "CONSTR_PRIMARY" ? derived_name({table_part(table), "pkey"})
                                        : derived_name({table_part(table), joined(keys), "key"});
    }
    const std::string index = schema_part(table) + "." + name;
    const std::string existing = lint::string_field(constraint, "indexname");
    if (!existing.empty()) {
        m_indexes.erase(schema_part(table) + "." + existing); // USING INDEX: renamed to `name`
    }
    m_indexes[index] = {table, true};
    m_constraint_indexes[table + "/" + name] = index;
}

void ReplayedSchema::alter_table(const json& body) {
    if (lint::string_field(body, "objtype") != "OBJECT_TABLE") {
        return;
    }
    const std::string table = key(field(body, "relation"));
    auto& columns = m_tables[table].columns;
    for (const json& item : list(body, "cmds")) {
        const json& cmd = field(item, "AlterTableCmd");
        const std::string subtype = lint::string_field(cmd, "subtype");
        const std::string column = lint::string_field(cmd, "name");
        if (subtype == "AT_AddColumn") {
            add_column(table, field(field(cmd, "def"), "ColumnDef"));
        } else if (subtype == "AT_DropColumn") {
            columns.erase(column);
            std::erase(m_tables[table].order, column);
        } else if (subtype == "AT_AlterColumnType") {
            columns[column].type =
                lint::column_type(field(field(field(cmd, "def"), "ColumnDef"), "typeName"))
                    .display();
        } else if (subtype == "AT_SetNotNull" || subtype == "AT_DropNotNull") {
            columns[column].not_null = subtype == "AT_SetNotNull";
        } else if (subtype == "AT_ColumnDefault") {
            columns[column].has_default = cmd.contains("def");
        } else if (subtype == "AT_AddConstraint") {
            add_constraint(table, field(field(cmd, "def"), "Constraint"), {});
        } else if (subtype == "AT_DropConstraint") {
            const auto index = m_constraint_indexes.find(table + "/" + column);
            if (index != m_constraint_indexes.end()) {
                m_indexes.erase(index->second);
                m_constraint_indexes.erase(index);
            }
        }
    }
}

void ReplayedSchema::rename(const json& body) {
    const std::string type = lint::string_field(body, "renameType");
    const std::string new_name = lint::string_field(body, "newname");
    const std::string subject = key(field(body, "relation"));
    if (type == "OBJECT_TABLE") {
        const auto found = m_tables.find(subject);
        if (found == m_tables.end()) {
            return;
        }
        const std::string renamed = schema_part(subject) + "." + new_name;
        m_tables[renamed] = std::move(found->second);
        m_tables.erase(subject);
        for (auto& [name, index] : m_indexes) {
            if (index.table == subject) {
                index.table = renamed;
            }
        }
    } else if (type == "OBJECT_COLUMN") {
        auto& table = m_tables[subject];
        const std::string old_name = lint::string_field(body, "subname");
        const auto found = table.columns.find(old_name);
        if (found == table.columns.end()) {
            return;
        }
        table.columns[new_name] = found->second;
        table.columns.erase(old_name);
        std::replace(table.order.begin(), table.order.end(), old_name, new_name);
    } else if (type == "OBJECT_INDEX") {
        const auto found = m_indexes.find(subject);
        if (found != m_indexes.end()) {
            m_indexes[schema_part(subject) + "." + new_name] = found->second;
            m_indexes.erase(found);
        }
    } else if (type == "OBJECT_TABCONSTRAINT") {
        // A key's index takes the constraint's new name.
        const auto found =
            m_constraint_indexes.find(subject + "/" + lint::string_field(body, "subname"));
        if (found != m_constraint_indexes.end()) {
            const std::string index = schema_part(subject) + "." + new_name;
            m_indexes[index] = m_indexes[found->second];
            m_indexes.erase(found->second);
            m_constraint_indexes.erase(found);
            m_constraint_indexes[subject + "/" + new_name] = index;
        }
    }
}

void ReplayedSchema::drop(const json& body) {
    const std::string type = lint::string_field(body, "removeType");
    for (const json& object : list(body, "objects")) {
        const std::vector<std::string> names = lint::string_list(object);
        if (names.empty()) {
            continue;
        }
        const std::string name =
            (names.size() > 1 ? names[names.size() - 2] : m_default_schema) + "." + names.back();
        if (type == "OBJECT_TABLE") {
            m_tables.erase(name);
            std::erase_if(m_indexes, [&](const auto& entry) { return entry.second.table == name; });
        } else if (type == "OBJECT_INDEX") {
            m_indexes.erase(name);
        }
    }
}

std::vector<Finding> drift(const ReplayedSchema& expected, const Catalog& live,
                           const std::string& folder, const std::string& state_schema) {
    std::vector<Finding> out;
    const auto compared = [&](const std::string& schema, const std::string& table) {
        return expected.schemas().count(schema) != 0 && schema != state_schema &&
               table != "_prisma_migrations";
    };
    std::map<std::string, const CatalogTable*> live_tables;
    for (const CatalogTable& table : live.tables) {
        if (compared(table.schema, table.name)) {
            live_tables[table.schema + "." + table.name] = &table;
        }
    }
    const auto both_have = [&, all = live_tables](const std::string& table) {
        return expected.tables().count(table) != 0 && all.count(table) != 0;
    };
    for (const auto& [key, table] : expected.tables()) {
        const auto found = live_tables.find(key);
        if (found == live_tables.end()) {
            out.push_back(drift_finding(
                "table " + display(key),
                "table " + display(key) + " is missing: " + folder + " creates it", folder));
            continue;
        }
        const CatalogTable& have = *found->second;
        for (const std::string& name : table.order) {
            const ReplayedSchema::Column& want = table.columns.at(name);
            const std::string column = display(key) + "." + quote_ident(name);
            const CatalogColumn* got = have.column(name);
            if (got == nullptr) {
                out.push_back(
                    drift_finding("column " + column, "column " + column + " is missing", folder));
                continue;
            }
            const std::string got_type = canonical_type(got->type);
            if (got_type != want.type) {
                out.push_back(drift_finding("column " + column,
                                            "column " + column + " is " + got_type + ", " + folder +
                                                " makes it " + want.type,
                                            folder));
            }
            if (got->not_null != want.not_null) {
                out.push_back(drift_finding(
                    "column " + column,
                    "column " + column + " is " + (got->not_null ? "NOT NULL" : "nullable") + ", " +
                        folder + " makes it " + (want.not_null ? "NOT NULL" : "nullable"),
                    folder));
            }
            const bool got_default =
                got->default_expression.has_value() || got->identity || got->generated;
            if (got_default != want.has_default) {
                out.push_back(drift_finding(
                    "column " + column,
                    "column " + column + (got_default ? " has a default" : " has no default") +
                        ", " + folder + (want.has_default ? " gives it one" : " gives it none"),
                    folder));
            }
        }
        for (const CatalogColumn& column : have.columns) {
            if (table.columns.count(column.name) == 0 &&
                own_column(column.name) == OwnColumn::none) {
                const std::string name = display(key) + "." + quote_ident(column.name);
                out.push_back(drift_finding(
                    "column " + name,
                    "column " + name + " (" + column.type + ") is not in " + folder, folder));
            }
        }
        live_tables.erase(found);
    }
    for (const auto& [key, table] : live_tables) {
        out.push_back(drift_finding("table " + display(key),
                                    "table " + display(key) + " is not in " + folder, folder));
    }
    // Indexes, of the tables both have.
    std::map<std::string, const CatalogIndex*> live_indexes;
    for (const CatalogTable& table : live.tables) {
        if (compared(table.schema, table.name) && both_have(table.schema + "." + table.name)) {
            for (const CatalogIndex& index : table.indexes) {
                if (index.valid) { // an INVALID one is doctor's invalid-index finding
                    live_indexes[table.schema + "." + index.name] = &index;
                }
            }
        }
    }
    for (const auto& [key, index] : expected.indexes()) {
        if (!both_have(index.table)) {
            continue;
        }
        const auto found = live_indexes.find(key);
        const std::string name = "index " + display(key);
        if (found == live_indexes.end()) {
            out.push_back(
                drift_finding(name, name + " on " + display(index.table) + " is missing", folder));
        } else if (found->second->unique != index.unique) {
            out.push_back(
                drift_finding(name,
                              name + (index.unique ? " is not unique, " : " is unique, ") + folder +
                                  (index.unique ? " makes it unique" : " does not"),
                              folder));
        }
    }
    for (const auto& [key, index] : live_indexes) {
        if (expected.indexes().count(key) == 0) {
            out.push_back(drift_finding("index " + display(key),
                                        "index " + display(key) + " is not in " + folder + ": " +
                                            index->definition,
                                        folder));
        }
    }
    return out;
}

} // namespace pgphase::planners::doctor
