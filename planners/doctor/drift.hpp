// Drift: the schema a migrations folder produces, replayed statement by statement through the
// real PostgreSQL parser (no shadow database), against a live catalog: tables, columns, types,
// nullability, whether a default is set, and indexes. What `prisma migrate diff` is used for.
// Pure: statements and a Catalog in, findings out.
#pragma once

#include "planners/doctor/finding.hpp"
#include "planners/model/catalog.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace pgphase::planners::doctor {

class ReplayedSchema {
public:
    struct Column {
        std::string type; // canonical, e.g. int4, varchar(80), "Role"[]
        bool not_null = false;
        bool has_default = false;
    };
    struct Table {
        std::vector<std::string> order; // column names in the order they were added
        std::map<std::string, Column> columns;
    };
    struct Index {
        std::string table; // key "schema.name"
        bool unique = false;
    };

    // Replays one migration's SQL; returns why it cannot be read ("" when it can). Statements
    // it does not model (data changes, functions, grants) leave the schema as it is.
    std::string apply_script(const std::string& sql);

    const std::map<std::string, Table>& tables() const { return m_tables; }   // by "schema.name"
    const std::map<std::string, Index>& indexes() const { return m_indexes; } // by "schema.name"
    // Every schema a statement named (public when unqualified).
    const std::set<std::string>& schemas() const { return m_schemas; }

    // Where an unqualified name lives (Prisma's ?schema=); "public" by default.
    void set_default_schema(std::string schema) { m_default_schema = std::move(schema); }

private:
    void apply(const std::string& kind, const nlohmann::json& body);
    void create_table(const nlohmann::json& body);
    void alter_table(const nlohmann::json& body);
    void add_column(const std::string& table, const nlohmann::json& column_def);
    void add_constraint(const std::string& table, const nlohmann::json& constraint,
                        const std::vector<std::string>& column_names);
    void rename(const nlohmann::json& body);
    void drop(const nlohmann::json& body);
    std::string key(const nlohmann::json& range_var);

    std::string m_default_schema = "public";
    std::map<std::string, Table> m_tables;
    std::map<std::string, Index> m_indexes;
    std::map<std::string, std::string> m_constraint_indexes; // "table key/constraint" -> index key
    std::set<std::string> m_schemas;
};

// What the live database has that the folder does not give, and the other way round, for the
// schemas the folder names. Left out: pgphase's own objects (state schema, version schemas,
// shadow columns, tombstones and their markers) and Prisma's `_prisma_migrations`.
std::vector<Finding> drift(const ReplayedSchema& expected, const Catalog& live,
                           const std::string& folder, const std::string& state_schema);

// A type as the catalog's format_type() writes it, made canonical as ReplayedSchema keeps it;
// the text itself when it does not parse.
std::string canonical_type(const std::string& format_type_text);

} // namespace pgphase::planners::doctor
