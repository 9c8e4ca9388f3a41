// Version-schema housekeeping. At contract: drops the version schemas of completed migrations
// and re-points other in-flight migrations' views at this migration's shape of a table. At
// rollback: other migrations' views stop showing the columns the rollback drops. Each change is
// its own short transaction under the lock schedule; it never touches base tables.
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/plan/version_schema.hpp"
#include "planners/sql/dropped_columns.hpp"
#include "planners/sql/quote.hpp"

#include <set>

namespace pgphase::orchestrator {

namespace {

// Views (v in schema vn) that depend on a table (t in schema tn), in another pgphase version
// schema than the one named by parameter `own` (version schemas are known by their comment).
std::string views_on_tables(const std::string& own) {
    return "FROM pg_catalog.pg_depend d "
           "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
           "JOIN pg_catalog.pg_class v ON v.oid = r.ev_class "
           "JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace "
           "JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
           "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
           "WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass "
           "  AND d.refclassid = 'pg_catalog.pg_class'::regclass AND v.oid <> t.oid "
           "  AND vn.nspname <> " +
           own +
           " AND pg_catalog.obj_description(vn.oid, 'pg_namespace') LIKE "
           "'pgphase version schema %' ";
}

// Replaces `view` (DROP and CREATE: a view cannot lose or change a column in place) by
// `definition`, or only drops it when there is none. Its options and the grants others hold on
// it are kept, so the app version that reads through it keeps its privileges.
void replace_view(Transaction& tx, const planners::QualifiedName& view, const std::string& options,
                  const std::optional<std::string>& definition) {
    const Rows grants =
        tx.query("SELECT a.privilege_type, a.grantee = 0, coalesce(r.rolname, '') "
                 "FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a "
                 "LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee "
                 "WHERE c.oid = $1::regclass AND a.grantee <> c.relowner",
                 {view.sql()});
    tx.execute("DROP VIEW IF EXISTS " + view.sql());
    if (!definition) {
        return;
    }
    tx.execute("CREATE VIEW " + view.sql() + (options.empty() ? "" : " WITH (" + options + ")") +
               " AS " + *definition);
    static const std::set<std::string> privileges = {"SELECT",   "INSERT",     "UPDATE", "DELETE",
                                                     "TRUNCATE", "REFERENCES", "TRIGGER"};
    for (std::size_t i = 0; i < grants.rows.size(); ++i) {
        if (privileges.count(grants.text(i, 0)) == 0) {
            continue; // a privilege a view cannot have
        }
        tx.execute("GRANT " + grants.text(i, 0) + " ON " + view.sql() + " TO " +
                   (grants.text(i, 1) == "t" ? std::string("PUBLIC")
                                             : planners::quote_ident(grants.text(i, 2))));
    }
}

} // namespace

// Contract means every app instance runs this migration's version, so none still reads through
// the version schema an earlier, completed migration left in place; its views would also pin
// the columns this contract drops or changes.
void MigrationRunner::drop_superseded_version_schemas() {
    for (const auto& other : m_store->all()) {
        if (other.name == m_plan.name || other.schema != m_plan.schema ||
            other.phase != MigrationPhase::completed) {
            continue;
        }
        const std::string schema = planners::version_schema_name(other.schema, other.name);
        with_lock_retries("drop version schema " + schema, {}, [&](Transaction& tx) {
            if (tx.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema})
                    .empty()) {
                return;
            }
            tx.execute("DROP SCHEMA " + planners::quote_ident(schema) + " CASCADE");
            m_store->event(tx, m_plan.name, "version_schema.dropped",
                           {{"schema", schema}, {"migration", other.name}});
            log::info("version_schema.dropped",
                      {{"migration", m_plan.name}, {"schema", schema}, {"of", other.name}});
        });
    }
}

// Another in-flight migration's version schema has views of this migration's tables too (every
// table gets a view), and they would pin the columns this contract drops. Contract means every
// app instance runs this migration's version, so those views take this migration's shape of the
// table: each is recreated from this migration's own view in one short transaction (or dropped,
// when this migration drops the table). The overlap guard keeps two in-flight migrations off
// the same table, so the other migration has no changes of its own on it to lose.
void MigrationRunner::align_other_version_schemas() {
    const std::string own = planners::version_schema_name(m_plan.schema, m_plan.name);
    const Rows views = m_session->query(
        "SELECT DISTINCT vn.nspname, v.relname, t.relname, "
        "       coalesce(array_to_string(v.reloptions, ', '), ''), "
        "       (SELECT pg_catalog.pg_get_viewdef(o.oid) FROM pg_catalog.pg_class o "
        "        JOIN pg_catalog.pg_rewrite orw ON orw.ev_class = o.oid "
        "        JOIN pg_catalog.pg_depend od ON od.objid = orw.oid "
        "         AND od.classid = 'pg_catalog.pg_rewrite'::regclass "
        "        JOIN pg_catalog.pg_namespace ons ON ons.oid = o.relnamespace "
        "        WHERE ons.nspname = $3 AND o.relkind = 'v' "
        "          AND od.refobjid = t.oid LIMIT 1) " +
            views_on_tables("$3") +
            "AND tn.nspname = $1 AND t.relname IN (SELECT "
            "pg_catalog.jsonb_array_elements_text($2::jsonb)) ORDER BY 1, 2",
        {m_plan.schema, touched_tables_json(), own});
    for (std::size_t i = 0; i < views.rows.size(); ++i) {
        const planners::QualifiedName view{views.text(i, 0), views.text(i, 1)};
        const std::string options = views.text(i, 3);
        const std::optional<std::string> definition = views.at(i, 4);
        with_lock_retries("align view " + view.display(), view, [&](Transaction& tx) {
            replace_view(tx, view, options, definition);
            m_store->event(tx, m_plan.name, "version_schema.aligned",
                           {{"view", view.display()}, {"table", views.text(i, 2)}});
        });
        log::info("version_schema.aligned", {{"migration", m_plan.name},
                                             {"view", view.display()},
                                             {"table", views.text(i, 2)},
                                             {"dropped", definition ? "false" : "true"}});
    }
}

// Another in-flight migration started after this one has views of this migration's tables too
// (every table gets a view), showing the columns this migration added, and they would stop
// the rollback from dropping them (SQLSTATE 2BP01). The overlap guard keeps that migration off
// these tables, so its views of them are plain lists of the table's columns: each is recreated
// without the columns that the undo of `steps` (those about to be undone) drops.
void MigrationRunner::release_other_version_schemas(const std::vector<int>& steps) {
    nlohmann::json dropped = nlohmann::json::array();
    for (int index : steps) {
        for (const auto& statement : m_steps[static_cast<std::size_t>(index)].undo) {
            for (const auto& column : planners::dropped_columns(statement)) {
                dropped.push_back(
                    {column.table.schema.empty() ? m_plan.schema : column.table.schema,
                     column.table.name, column.column});
            }
        }
    }
    if (dropped.empty()) {
        return;
    }
    const std::string own = planners::version_schema_name(m_plan.schema, m_plan.name);
    const Rows views = m_session->query(
        "SELECT DISTINCT vn.nspname, v.relname, tn.nspname, t.relname, "
        "       coalesce(array_to_string(v.reloptions, ', '), '') " +
            views_on_tables("$2") +
            "AND (tn.nspname, t.relname, (SELECT a.attname FROM pg_catalog.pg_attribute a "
            "WHERE a.attrelid = t.oid AND a.attnum = d.refobjsubid)) IN (SELECT x->>0, x->>1, "
            "x->>2 FROM pg_catalog.jsonb_array_elements($1::jsonb) x) ORDER BY 1, 2",
        {dropped.dump(), own});
    for (std::size_t i = 0; i < views.rows.size(); ++i) {
        const planners::QualifiedName view{views.text(i, 0), views.text(i, 1)};
        const planners::QualifiedName table{views.text(i, 2), views.text(i, 3)};
        with_lock_retries("release view " + view.display(), view, [&](Transaction& tx) {
            // The view's columns, each a table column of the same name, minus the dropped ones.
            const Rows columns = tx.query(
                "SELECT va.attname, EXISTS (SELECT FROM pg_catalog.pg_attribute ta WHERE "
                "ta.attrelid = $2::regclass AND ta.attname = va.attname AND ta.attnum > 0 AND "
                "NOT ta.attisdropped), va.attname IN (SELECT x->>2 FROM "
                "pg_catalog.jsonb_array_elements($3::jsonb) x WHERE x->>0 = $4 AND x->>1 = $5) "
                "FROM pg_catalog.pg_attribute va WHERE va.attrelid = $1::regclass "
                "AND va.attnum > 0 AND NOT va.attisdropped ORDER BY va.attnum",
                {view.sql(), table.sql(), dropped.dump(), table.schema, table.name});
            std::string list;
            for (std::size_t c = 0; c < columns.rows.size(); ++c) {
                if (columns.text(c, 2) == "t") {
                    continue;
                }
                if (columns.text(c, 1) != "t") {
                    throw CommandError(ExitCode::failed,
                                       "view " + view.display() + " shows a column \"" +
                                           columns.text(c, 0) + "\" that " + table.display() +
                                           " does not have, so it cannot be recreated without "
                                           "the columns this rollback drops",
                                       "drop or adjust that view by hand, then rerun rollback");
                }
                list += (list.empty() ? "" : ", ") + planners::quote_ident(columns.text(c, 0));
            }
            replace_view(tx, view, views.text(i, 4),
                         "SELECT " + (list.empty() ? std::string("FROM ") : list + " FROM ") +
                             table.sql());
            m_store->event(tx, m_plan.name, "version_schema.released",
                           {{"view", view.display()}, {"table", table.display()}});
        });
        log::info(
            "version_schema.released",
            {{"migration", m_plan.name}, {"view", view.display()}, {"table", table.display()}});
    }
}

std::string MigrationRunner::touched_tables_json() const {
    std::vector<std::string> names;
    for (const auto& step : m_steps) {
        if (step.table.schema == m_plan.schema && !step.table.name.empty()) {
            names.push_back(step.table.name);
        }
    }
    return nlohmann::json(names).dump();
}

} // namespace pgphase::orchestrator
