// The catalog that unit tests plan against: the tables the example plans and the hostile
// identifier plan touch, written by hand as the orchestrator would read them.
#pragma once

#include "planners/model/catalog.hpp"

namespace pgphase::testing {

inline planners::CatalogTable fixture_table(std::string schema, std::string name,
                                            std::vector<planners::CatalogColumn> columns) {
    planners::CatalogTable table;
    table.schema = std::move(schema);
    table.name = std::move(name);
    table.columns = std::move(columns);
    table.primary_key = {"id"};
    table.indexes.push_back({table.name + "_pkey", true, true, true, {"id"}, ""});
    return table;
}

inline planners::Catalog fixture_catalog() {
    using planners::CatalogColumn;
    planners::Catalog catalog;
    catalog.tables.push_back(fixture_table(
        "public", "users",
        {CatalogColumn{"id", "bigint", true, "nextval('users_id_seq'::regclass)", false, false},
         CatalogColumn{"email", "text", true, "'none'::text", false, false},
         CatalogColumn{"name", "text", false, std::nullopt, false, false}}));
    catalog.tables.push_back(fixture_table(
        "public", "orders",
        {CatalogColumn{"id", "bigint", true, std::nullopt, true, false},
         CatalogColumn{"user_id", "bigint", true, std::nullopt, false, false},
         CatalogColumn{"created_at", "timestamp with time zone", true, "now()", false, false},
         CatalogColumn{"reference", "text", false, std::nullopt, false, false},
         CatalogColumn{"status", "text", true, std::nullopt, false, false},
         CatalogColumn{"legacy_currency", "character varying(3)", false, std::nullopt, false,
                       false}}));
    catalog.tables.push_back(fixture_table(
        "Mixed Schema", "select",
        {CatalogColumn{"id", "integer", true, std::nullopt, false, false},
         CatalogColumn{"we\"ird", "character varying(80)", true, std::nullopt, false, false},
         CatalogColumn{"order", "integer", false, std::nullopt, false, false}}));
    catalog.tables.push_back(
        fixture_table("Mixed Schema", "Mixed Case",
                      {CatalogColumn{"id", "integer", true, std::nullopt, false, false},
                       CatalogColumn{"we\"ird", "text", false, std::nullopt, false, false}}));
    for (const auto& table : catalog.tables) {
        catalog.relations.push_back({table.schema, table.name, 'r'});
        catalog.relations.push_back({table.schema, table.name + "_pkey", 'i'});
    }
    // drop_index's example plan drops this one.
    catalog.tables[1].indexes.push_back({"orders_status_idx",
                                         false,
                                         false,
                                         true,
                                         {"status"},
                                         "CREATE INDEX orders_status_idx ON public.orders USING "
                                         "btree (status)"});
    catalog.relations.push_back({"public", "orders_status_idx", 'i'});
    // ...and the hostile nullability plan this one.
    catalog.tables[3].indexes.push_back({"Mixed \"idx\"", false, false, true, {"we\"ird"}, ""});
    catalog.relations.push_back({"Mixed Schema", "Mixed \"idx\"", 'i'});
    return catalog;
}

} // namespace pgphase::testing
