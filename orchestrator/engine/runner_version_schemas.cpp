// Version-schema housekeeping at contract: drops the version schemas of completed migrations
// and re-points other in-flight migrations' views at this migration's shape of a table. Each
// change is its own short transaction under the lock schedule; it never touches base tables.
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/plan/version_schema.hpp"
#include "planners/sql/quote.hpp"

namespace pgphase::orchestrator {

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
        "          AND od.refobjid = t.oid LIMIT 1) "
        "FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
        "JOIN pg_catalog.pg_class v ON v.oid = r.ev_class "
        "JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace "
        "JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass "
        "  AND d.refclassid = 'pg_catalog.pg_class'::regclass AND v.oid <> t.oid "
        "  AND tn.nspname = $1 AND t.relname IN (SELECT "
        "pg_catalog.jsonb_array_elements_text($2::jsonb)) AND vn.nspname <> $3 "
        "  AND pg_catalog.obj_description(vn.oid, 'pg_namespace') LIKE 'pgphase version schema %' "
        "ORDER BY 1, 2",
        {m_plan.schema, touched_tables_json(), own});
    for (std::size_t i = 0; i < views.rows.size(); ++i) {
        const planners::QualifiedName view{views.text(i, 0), views.text(i, 1)};
        const std::string options = views.text(i, 3);
        const std::optional<std::string> definition = views.at(i, 4);
        with_lock_retries("align view " + view.display(), view, [&](Transaction& tx) {
            tx.execute("DROP VIEW IF EXISTS " + view.sql());
            if (definition) {
                tx.execute("CREATE VIEW " + view.sql() +
                           (options.empty() ? "" : " WITH (" + options + ")") + " AS " +
                           *definition);
            }
            m_store->event(tx, m_plan.name, "version_schema.aligned",
                           {{"view", view.display()}, {"table", views.text(i, 2)}});
        });
        log::info("version_schema.aligned", {{"migration", m_plan.name},
                                             {"view", view.display()},
                                             {"table", views.text(i, 2)},
                                             {"dropped", definition ? "false" : "true"}});
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
