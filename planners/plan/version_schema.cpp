// Builds the version schema's views from the planner's working catalog. Pure.
#include "planners/plan/version_schema.hpp"

#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {

// PostgreSQL 15 added security_invoker views: privileges and row-level security of the base
// table are then checked for the app's role, exactly as when it queries the table itself.
constexpr int security_invoker_version = 150000;

// Columns of the plan's changes that the new version must not see, and pgphase's own columns of
// other migrations: tombstones and their markers, and shadow columns of a migration still in
// flight (this plan's own shadows are exposed under their final names).
bool hidden(const CatalogTable& table, const std::string& column) {
    const auto& names = table.new_version.hidden_columns;
    if (std::find(names.begin(), names.end(), column) != names.end()) {
        return true;
    }
    switch (own_column(column)) {
    case OwnColumn::none:
        return false;
    case OwnColumn::tombstone:
        return true;
    case OwnColumn::shadow:
        return table.new_version.exposed.count(column) == 0;
    }
    return false;
}

// The app's role reads and writes through the views only if it may use the schema and the
// views as it may the base schema and tables: every grant of a base table (other than its
// owner's) is repeated on its view, and every USAGE grant of the base schema on the version
// schema. Run in the database, so grants made after planning count; names are quoted there.
std::string copy_grants_sql(const std::string& base_schema, const std::string& version_schema) {
    // clang-format off
    const Quoted body = render_sql(R"sql(
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT DISTINCT v.relname AS view, a.privilege_type AS privilege, a.grantee
        FROM pg_catalog.pg_class v
        JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
        JOIN pg_catalog.pg_rewrite r ON r.ev_class = v.oid
        JOIN pg_catalog.pg_depend d ON d.objid = r.oid
         AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
         AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
        JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid
        JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
        CROSS JOIN LATERAL pg_catalog.aclexplode(t.relacl) a
        WHERE vn.nspname = {version} AND tn.nspname = {base} AND v.relkind = 'v'
          AND a.grantee <> t.relowner
    LOOP
        EXECUTE pg_catalog.format('GRANT %s ON %I.%I TO %s', g.privilege, {version}, g.view, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::text END);
    END LOOP;
    FOR g IN
        SELECT DISTINCT a.grantee FROM pg_catalog.pg_namespace n
        CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
        WHERE n.nspname = {base} AND a.privilege_type = 'USAGE' AND a.grantee <> n.nspowner
    LOOP
        EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %s', {version}, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::text END);
    END LOOP;
END
)sql",
        {{"base", literal(base_schema)}, {"version", literal(version_schema)}});
    // clang-format on
    return "DO " + dollar_quoted(body).str();
}

} // namespace

std::string version_schema_name(const std::string& schema, const std::string& migration) {
    return derived_name({schema, migration});
}

std::string version_view_sql(const std::string& version_schema, const CatalogTable& table,
                             bool security_invoker) {
    if (table.new_version.dropped) {
        return {};
    }
    std::string columns;
    for (const auto& column : table.columns) {
        if (hidden(table, column.name)) {
            continue;
        }
        columns += columns.empty() ? "\n    " : ",\n    ";
        columns += quote_ident(column.name);
        const auto exposed = table.new_version.exposed.find(column.name);
        if (exposed != table.new_version.exposed.end() && exposed->second != column.name) {
            columns += " AS " + quote_ident(exposed->second);
        }
    }
    if (columns.empty()) {
        return {}; // a view needs a column; a table whose every column is hidden has none
    }
    const QualifiedName view{version_schema, table.new_version.name.value_or(table.name)};
    const QualifiedName base{table.schema, table.name};
    return "CREATE VIEW " + view.sql() +
           (security_invoker ? " WITH (security_invoker = true)" : "") + " AS SELECT" + columns +
           "\nFROM " + base.sql();
}

std::vector<std::string> version_view_comments(const std::string& version_schema,
                                               const CatalogTable& table) {
    std::vector<std::string> out;
    const CatalogTable::NewVersion& shown = table.new_version;
    const QualifiedName view{version_schema, shown.name.value_or(table.name)};
    if (shown.comment) {
        out.push_back("COMMENT ON VIEW " + view.sql() + " IS " + quote_literal(*shown.comment));
    }
    for (const auto& [column, comment] : shown.column_comments) {
        if (table.column(column) == nullptr || hidden(table, column)) {
            continue;
        }
        const auto exposed = shown.exposed.find(column);
        const std::string name = exposed != shown.exposed.end() ? exposed->second : column;
        out.push_back("COMMENT ON COLUMN " + view.sql() + "." + quote_ident(name) + " IS " +
                      quote_literal(comment));
    }
    return out;
}

std::vector<Step> version_schema_steps(const Plan& plan, const Catalog& working,
                                       bool after_backfill) {
    const std::string name = version_schema_name(plan.schema, plan.name);
    const std::string schema = quote_ident(name);
    const bool security_invoker = working.server_version_num >= security_invoker_version;

    Step create;
    create.phase = after_backfill ? Phase::backfill : Phase::expand;
    create.summary =
        "create version schema " + name + " with the new version's view of " + plan.schema;
    create.table = {name, ""};
    create.lock = LockLevel::access_share;
    create.change_index = -1;
    create.sql.push_back("CREATE SCHEMA " + schema);
    create.sql.push_back("COMMENT ON SCHEMA " + schema + " IS " +
                         quote_literal("pgphase version schema of " + quote_ident(plan.schema) +
                                       " for migration " + quote_ident(plan.name)));
    std::vector<const CatalogTable*> tables;
    for (const auto& table : working.tables) {
        if (table.schema == plan.schema) {
            tables.push_back(&table);
        }
    }
    std::sort(tables.begin(), tables.end(), [](const CatalogTable* a, const CatalogTable* b) {
        return a->new_version.name.value_or(a->name) < b->new_version.name.value_or(b->name);
    });
    for (const CatalogTable* table : tables) {
        std::string view = version_view_sql(name, *table, security_invoker);
        if (!view.empty()) {
            create.sql.push_back(std::move(view));
            for (auto& comment : version_view_comments(name, *table)) {
                create.sql.push_back(std::move(comment));
            }
        }
    }
    create.sql.push_back(copy_grants_sql(plan.schema, name));
    create.undo.push_back("DROP SCHEMA IF EXISTS " + schema + " CASCADE");

    std::vector<Step> steps;
    steps.push_back(std::move(create));
    if (!plan.settings.keep_version_schema) {
        Step drop;
        drop.phase = Phase::contract;
        drop.summary = "drop version schema " + name + " (version_schema: drop)";
        drop.table = {name, ""};
        drop.lock = LockLevel::access_exclusive;
        drop.change_index = -1;
        drop.sql.push_back("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        steps.push_back(std::move(drop));
    }
    return steps;
}

} // namespace pgphase::planners
