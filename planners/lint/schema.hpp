// What lint knows of the schema: column types replayed from earlier statements (earlier
// migrations of the same folder, then the file itself), enums, which table each index is on,
// and the CHECK (col IS NOT NULL) constraints that make a SET NOT NULL catalog-only. Replaces
// nothing in the database and reads nothing: statements in, facts out. Pure.
#pragma once

#include "planners/lint/source.hpp"
#include "planners/lint/sql_tree.hpp"
#include "planners/model/catalog.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pgphase::planners::lint {

class SchemaModel {
public:
    // The column's type as replayed, nullptr when no earlier statement says.
    const ColumnType* column_type(const TableName& table, const std::string& column) const;
    bool knows_table(const TableName& table) const;
    bool is_enum(const std::string& type_name) const { return m_enums.count(type_name) != 0; }
    std::optional<TableName> index_table(const std::string& index_name) const;
    // Whether a validated CHECK (column IS NOT NULL) is on the table: SET NOT NULL then needs no
    // scan (PostgreSQL 12+).
    bool proven_not_null(const TableName& table, const std::string& column) const;
    // The column of the table's CHECK (col IS NOT NULL) named `constraint`, "" if none.
    std::string not_null_check(const TableName& table, const std::string& constraint) const;

    // The column sets of the table's primary key, unique constraints and unique indexes (those
    // not partial and on columns only), as replayed or seeded: a WHERE that fixes every column
    // of one with `=` selects at most one row.
    std::vector<std::vector<std::string>> unique_keys(const TableName& table) const;

    // Replays one statement; statements it does not model leave it unchanged.
    void apply(const Statement& statement);
    // The same, with the statement's tree() already parsed.
    void apply(const Statement& statement, const json& tree);

    // Declares a column's type known from elsewhere.
    void set_column_type(const TableName& table, const std::string& column, ColumnType type);

    // Starts from a live database's catalog (pgphase lint --dsn): its tables' column types
    // (format_type text, parsed) and which table each index is on.
    void seed(const planners::Catalog& catalog);

private:
    void apply_alter_table(const json& alter);
    void apply_rename(const json& rename);
    void apply_drop(const json& drop);

    std::map<std::string, std::map<std::string, ColumnType>> m_tables; // TableName::key()
    std::set<std::string> m_enums;
    std::map<std::string, TableName> m_indexes;
    // CHECK (col IS NOT NULL) constraints, by table key and constraint name.
    struct NotNullCheck {
        std::string column;
        bool validated = false;
    };
    std::map<std::string, std::map<std::string, NotNullCheck>> m_not_null_checks;
    // Primary keys, unique constraints and unique indexes: by table key, then by the name of
    // the constraint or index (PostgreSQL's default name when the statement gives none).
    std::map<std::string, std::map<std::string, std::vector<std::string>>> m_keys;

    void add_key(const TableName& table, const json& constraint,
                 const std::vector<std::string>& columns);
    void apply_index(const json& index);
    // Moves every per-table fact from one table key to another (a table rename).
    void move_table(const std::string& from, const std::string& to);
};

} // namespace pgphase::planners::lint
