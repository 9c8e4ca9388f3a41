// Catalog queries. Arrays come back as JSON text, so names with commas or quotes survive.
#include "orchestrator/pg/catalog_reader.hpp"

#include "planners/ops/building_blocks.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace pgphase::orchestrator {

namespace {

using planners::CatalogTable;

std::vector<std::string> json_strings(const Value& value) {
    if (!value) {
        return {};
    }
    std::vector<std::string> out;
    for (const auto& item : nlohmann::json::parse(*value)) {
        out.push_back(item.is_null() ? std::string() : item.get<std::string>());
    }
    return out;
}

CatalogTable* table_named(planners::Catalog& catalog, const std::string& name) {
    for (auto& table : catalog.tables) {
        if (table.name == name) {
            return &table;
        }
    }
    return nullptr;
}

} // namespace

planners::Catalog read_catalog(Session& session, const std::string& schema) {
    planners::Catalog catalog;
    catalog.server_version_num = std::stoi(
        session.query("SELECT pg_catalog.current_setting('server_version_num')").text(0, 0));
    const Params params = {schema};

    const Rows relations = session.query(
        "SELECT c.relname, c.relkind::text FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
        "ORDER BY c.relname",
        params);
    for (std::size_t i = 0; i < relations.rows.size(); ++i) {
        const std::string kind = relations.text(i, 1);
        catalog.relations.push_back({schema, relations.text(i, 0), kind.empty() ? 'r' : kind[0]});
        if (kind == "r" || kind == "p") {
            CatalogTable table;
            table.schema = schema;
            table.name = relations.text(i, 0);
            catalog.tables.push_back(std::move(table));
        }
    }

    const Rows columns = session.query(
        "SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
        "a.attnotnull, CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, "
        "d.adrelid) END, a.attidentity <> '', a.attgenerated <> '' "
        "FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
        params);
    for (std::size_t i = 0; i < columns.rows.size(); ++i) {
        if (CatalogTable* table = table_named(catalog, columns.text(i, 0))) {
            table->columns.push_back({columns.text(i, 1), columns.text(i, 2),
                                      columns.text(i, 3) == "t", columns.at(i, 4),
                                      columns.text(i, 5) == "t", columns.text(i, 6) == "t"});
        }
    }

    // Every column an index uses (key, expression, predicate, INCLUDE) is in pg_depend.
    const Rows indexes = session.query(
        "SELECT t.relname, i.relname, x.indisunique, x.indisprimary, x.indisvalid, "
        "pg_catalog.pg_get_indexdef(x.indexrelid), "
        "pg_catalog.to_json(ARRAY(SELECT a.attname FROM pg_catalog.pg_depend d "
        "  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = "
        "d.refobjsubid WHERE d.classid = 'pg_catalog.pg_class'::regclass "
        "  AND d.objid = x.indexrelid AND d.refobjsubid > 0 ORDER BY a.attnum))::text, "
        "pg_catalog.to_json(ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY "
        "  AS k(attnum, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid "
        "  AND a.attnum = k.attnum ORDER BY k.ord))::text, "
        "x.indpred IS NOT NULL, x.indexprs IS NOT NULL, NOT x.indimmediate "
        "FROM pg_catalog.pg_index x "
        "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = $1 ORDER BY t.relname, i.relname",
        params);
    for (std::size_t i = 0; i < indexes.rows.size(); ++i) {
        if (CatalogTable* table = table_named(catalog, indexes.text(i, 0))) {
            const bool primary = indexes.text(i, 3) == "t";
            table->indexes.push_back({indexes.text(i, 1), indexes.text(i, 2) == "t", primary,
                                      indexes.text(i, 4) == "t", json_strings(indexes.at(i, 6)),
                                      indexes.text(i, 5)});
            table->indexes.back().partial = indexes.text(i, 8) == "t";
            table->indexes.back().expressions = indexes.text(i, 9) == "t";
            table->indexes.back().deferrable = indexes.text(i, 10) == "t";
            table->indexes.back().key_columns = json_strings(indexes.at(i, 7));
            if (primary) {
                table->primary_key = json_strings(indexes.at(i, 7));
            }
        }
    }

    // Constraints on a table's columns, and foreign keys elsewhere that reference them.
    const Rows constraints = session.query(
        "SELECT t.relname, con.conname, con.contype::text, con.convalidated, "
        "pg_catalog.pg_get_constraintdef(con.oid), "
        "pg_catalog.to_json(ARRAY(SELECT a.attname FROM unnest(CASE WHEN con.conrelid = t.oid "
        "  THEN con.conkey ELSE con.confkey END) WITH ORDINALITY AS k(attnum, ord) "
        "  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "  ORDER BY k.ord))::text, "
        "con.conrelid <> t.oid "
        "FROM pg_catalog.pg_constraint con "
        "JOIN pg_catalog.pg_class t ON t.oid = con.conrelid OR t.oid = con.confrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = $1 ORDER BY t.relname, con.conname",
        params);
    for (std::size_t i = 0; i < constraints.rows.size(); ++i) {
        if (CatalogTable* table = table_named(catalog, constraints.text(i, 0))) {
            const std::string type = constraints.text(i, 2);
            table->constraints.push_back({constraints.text(i, 1), type.empty() ? 'c' : type[0],
                                          constraints.text(i, 3) == "t",
                                          json_strings(constraints.at(i, 5)),
                                          constraints.text(i, 4), constraints.text(i, 6) == "t"});
        }
    }

    const Rows triggers =
        session.query("SELECT c.relname, tg.tgname FROM pg_catalog.pg_trigger tg "
                      "JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE n.nspname = $1 AND NOT tg.tgisinternal ORDER BY c.relname, tg.tgname",
                      params);
    for (std::size_t i = 0; i < triggers.rows.size(); ++i) {
        if (CatalogTable* table = table_named(catalog, triggers.text(i, 0))) {
            table->triggers.push_back(triggers.text(i, 1));
        }
    }
    return catalog;
}

planners::Catalog read_planning_catalog(Session& session, const planners::Plan& plan,
                                        const std::string& state_schema) {
    planners::Catalog catalog = read_catalog(session, plan.schema);
    const bool restores_table =
        std::any_of(plan.changes.begin(), plan.changes.end(), [](const planners::Change& change) {
            return std::holds_alternative<planners::RestoreTable>(change.operation);
        });
    if (restores_table) {
        planners::Catalog kept = read_catalog(session, planners::tombstone_schema(state_schema));
        for (auto& table : kept.tables) {
            catalog.tables.push_back(std::move(table));
        }
        for (auto& relation : kept.relations) {
            catalog.relations.push_back(std::move(relation));
        }
    }
    return catalog;
}

} // namespace pgphase::orchestrator
