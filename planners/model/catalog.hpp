// A snapshot of the database objects a plan touches. Read from pg_catalog by the orchestrator,
// written by hand in tests; the planner never sees a connection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners {

struct CatalogColumn {
    std::string name;
    std::string type; // format_type(), e.g. "character varying(80)"
    bool not_null = false;
    std::optional<std::string> default_expression; // pg_get_expr of the default
    bool identity = false;
    bool generated = false;
};

struct CatalogIndex {
    std::string name;
    bool unique = false;
    bool primary = false;
    bool valid = true;
    std::vector<std::string> columns; // every column it uses: key, expression, predicate, INCLUDE
    std::string definition;           // pg_get_indexdef
    bool partial = false;             // has a WHERE predicate
    bool expressions = false;         // a key is an expression, not a column
    bool deferrable = false;          // backs a DEFERRABLE constraint (NOT indimmediate)
    std::vector<std::string> key_columns{}; // its columns in index order (INCLUDE too), as
                                            // PostgreSQL's derived index names list them
};

struct CatalogConstraint {
    std::string name;
    char type = 'c'; // pg_constraint.contype: c, f, p, u, x
    bool validated = true;
    std::vector<std::string> columns; // in the constraint's order (conkey, or confkey if incoming)
    std::string definition;           // pg_get_constraintdef
    bool incoming = false; // a foreign key of another table referencing this one (columns: ours)
};

struct CatalogTable {
    std::string schema;
    std::string name;
    std::vector<CatalogColumn> columns;
    std::vector<std::string> primary_key;
    std::vector<CatalogIndex> indexes;
    std::vector<CatalogConstraint> constraints;
    std::vector<std::string> triggers;

    // How the new app version sees this table through the migration's version schema. Operation
    // rewrites set this on the planner's working catalog (never read from a database); the
    // planner turns it into one view per table at the end of expand.
    struct NewVersion {
        bool dropped = false;                       // drop_table: no view
        std::optional<std::string> name;            // rename_table: the view's name
        std::vector<std::string> hidden_columns;    // old side of a rename, a dropped column
        std::map<std::string, std::string> exposed; // column -> name shown (a shadow column)
        std::optional<std::string> comment;         // set_comment: COMMENT ON VIEW
        std::map<std::string, std::string> column_comments; // set_comment: column -> comment
    } new_version;

    const CatalogColumn* column(const std::string& column_name) const;
    const CatalogIndex* index(const std::string& index_name) const;
};

// Any relation (table, index, view, sequence) by name: index names share the schema's namespace.
struct CatalogRelation {
    std::string schema;
    std::string name;
    char kind = 'r'; // pg_class.relkind
};

struct Catalog {
    int server_version_num = 0; // 0: unknown (a catalog written by hand)
    std::vector<CatalogTable> tables;
    std::vector<CatalogRelation> relations;

    const CatalogTable* table(const std::string& schema, const std::string& name) const;
    const CatalogRelation* relation(const std::string& schema, const std::string& name) const;
};

// Columns pgphase puts in user tables: shadows of a migration in flight (`_pgphase_new_*`),
// tombstones contract kept (`_pgphase_dropped_*`) and their markers (`_pgphase_written_*`).
enum class OwnColumn { none, shadow, tombstone };
OwnColumn own_column(const std::string& name);

} // namespace pgphase::planners
