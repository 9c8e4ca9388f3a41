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
    // Constraint operations: a table without a primary key (identity id, nullable tenant) and
    // with a CHECK to drop or rename.
    planners::CatalogTable audit_events =
        fixture_table("public", "audit_events",
                      {CatalogColumn{"id", "bigint", true, std::nullopt, true, false},
                       CatalogColumn{"tenant_id", "bigint", false, std::nullopt, false, false},
                       CatalogColumn{"kind", "text", false, std::nullopt, false, false}});
    audit_events.primary_key.clear();
    audit_events.indexes.clear();
    audit_events.constraints.push_back(
        {"audit_events_kind_check", 'c', true, {"kind"}, "CHECK ((kind <> ''::text))"});
    catalog.tables.push_back(audit_events);
    // change_type: a column for each kind of carry-over (index, unique, CHECK, foreign key).
    planners::CatalogTable events = fixture_table(
        "public", "events",
        {CatalogColumn{"id", "bigint", true, std::nullopt, false, false},
         CatalogColumn{"payload", "text", true, "'{}'::text", false, false},
         CatalogColumn{"kind", "character varying(20)", false, std::nullopt, false, false},
         CatalogColumn{"amount", "integer", false, std::nullopt, false, false},
         CatalogColumn{"user_id", "integer", false, std::nullopt, false, false}});
    events.indexes.push_back({"events_amount_idx",
                              false,
                              false,
                              true,
                              {"amount"},
                              "CREATE INDEX events_amount_idx ON public.events USING btree "
                              "(amount) WHERE (amount > 0)"});
    events.indexes.push_back({"events_amount_key",
                              true,
                              false,
                              true,
                              {"amount"},
                              "CREATE UNIQUE INDEX events_amount_key ON public.events USING btree "
                              "(amount)"});
    events.constraints.push_back({"events_amount_key", 'u', true, {"amount"}, "UNIQUE (amount)"});
    events.constraints.push_back(
        {"events_amount_check", 'c', true, {"amount"}, "CHECK ((amount > 0))"});
    events.constraints.push_back({"events_user_id_fkey",
                                  'f',
                                  true,
                                  {"user_id"},
                                  "FOREIGN KEY (user_id) REFERENCES users(id)"});
    catalog.tables.push_back(events);
    catalog.relations.push_back({"public", "events_amount_idx", 'i'});
    catalog.relations.push_back({"public", "events_amount_key", 'i'});
    for (const auto& table : catalog.tables) {
        catalog.relations.push_back({table.schema, table.name, 'r'});
        if (!table.primary_key.empty()) {
            catalog.relations.push_back({table.schema, table.name + "_pkey", 'i'});
        }
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
    catalog.tables[3].indexes.push_back({"Mixed \"idx\"",
                                         false,
                                         false,
                                         true,
                                         {"we\"ird"},
                                         "CREATE INDEX \"Mixed \"\"idx\"\"\" ON \"Mixed "
                                         "Schema\".\"Mixed Case\" USING btree (\"we\"\"ird\")"});
    catalog.relations.push_back({"Mixed Schema", "Mixed \"idx\"", 'i'});
    return catalog;
}

} // namespace pgphase::testing
