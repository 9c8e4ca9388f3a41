// The version schema: one view per table as the new app version sees it, planned from the
// working catalog the operation rewrites leave behind.
#include "planners/plan/version_schema.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::load;

PlannedMigration plan_versioned(const std::string& yaml, int server_version = 150000) {
    Catalog catalog = testing::fixture_catalog();
    catalog.server_version_num = server_version;
    PlanningOptions options;
    options.version_schema = true;
    return plan_migration(load(yaml), &catalog, options);
}

const Step* version_step(const PlannedMigration& planned) {
    for (const auto& step : planned.steps) {
        if (step.change_index == -1 && step.phase != Phase::contract) {
            return &step;
        }
    }
    return nullptr;
}

TEST(VersionSchema, IsNamedAfterTheSchemaAndTheMigrationAndStaysWithin63Bytes) {
    EXPECT_EQ(version_schema_name("public", "rename_users_email"), "public_rename_users_email");
    const std::string long_name = version_schema_name(std::string(40, 's'), std::string(48, 'm'));
    EXPECT_LE(long_name.size(), 63U);
    EXPECT_NE(long_name, version_schema_name(std::string(40, 's'), std::string(47, 'm') + "n"));
}

TEST(VersionSchema, ShowsAColumnRenamedInTheCatalogUnderItsNewNameFromExpand) {
    const PlannedMigration planned = plan_versioned(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* step = version_step(planned);
    ASSERT_NE(step, nullptr);
    EXPECT_EQ(step->phase, Phase::expand) << "the base column is whole: nothing to wait for";
    EXPECT_TRUE(any_contains(step->sql, "CREATE VIEW \"public_r\".\"users\" WITH "
                                        "(security_invoker = true) AS SELECT\n    \"id\",\n    "
                                        "\"email\" AS \"email_address\",\n    \"name\"\nFROM "
                                        "\"public\".\"users\""));
}

TEST(VersionSchema, LeavesOutTombstonesMarkersAndOtherMigrationsShadowColumns) {
    Catalog catalog = testing::fixture_catalog();
    catalog.server_version_num = 150000;
    CatalogTable* users = nullptr;
    for (auto& table : catalog.tables) {
        users = table.name == "users" ? &table : users;
    }
    ASSERT_NE(users, nullptr);
    for (const char* name :
         {"_pgphase_dropped_1a2b3c4d_nick", "_pgphase_written_1a2b3c4d", "_pgphase_new_email"}) {
        users->columns.push_back({name, "text", false, std::nullopt});
    }
    PlanningOptions options;
    options.version_schema = true;
    const PlannedMigration planned = plan_migration(load(R"(
name: r
changes:
  - add_column: {table: users, column: {name: nickname, type: text}}
)"),
                                                    &catalog, options);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* step = version_step(planned);
    ASSERT_NE(step, nullptr);
    EXPECT_TRUE(any_contains(step->sql, "\"nickname\""));
    EXPECT_FALSE(any_contains(step->sql, "_pgphase_")) << step->sql.at(1);
}

TEST(VersionSchema, ShowsACopiedColumnOnlyUnderItsNewNameAfterTheBackfill) {
    const PlannedMigration planned = plan_versioned(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* step = version_step(planned);
    ASSERT_NE(step, nullptr);
    EXPECT_EQ(step->phase, Phase::backfill) << "views over a half-filled column would show NULLs";
    EXPECT_EQ(&planned.steps.back() - step, 1) << "last of the backfill phase, before contract";
    EXPECT_EQ(step->sql.at(0), R"(CREATE SCHEMA "public_r")");
    EXPECT_TRUE(any_contains(step->sql, "CREATE VIEW \"public_r\".\"users\" WITH "
                                        "(security_invoker = true) AS SELECT\n    \"id\",\n    "
                                        "\"name\",\n    \"email_address\"\nFROM "
                                        "\"public\".\"users\""));
    EXPECT_TRUE(any_contains(step->sql, "CREATE VIEW \"public_r\".\"orders\""))
        << "every table of the schema gets a view";
    EXPECT_EQ(step->undo, std::vector<std::string>{R"(DROP SCHEMA IF EXISTS "public_r" CASCADE)"});
    EXPECT_TRUE(any_contains(step->sql, "GRANT %s ON %I.%I TO %s"));
}

TEST(VersionSchema, ComesLastInExpandWhenNothingIsBackfilled) {
    const PlannedMigration planned = plan_versioned(R"(
name: i
changes:
  - create_index: {table: users, name: users_name_idx, columns: [name]}
)");
    const Step* step = version_step(planned);
    ASSERT_NE(step, nullptr);
    EXPECT_EQ(step->phase, Phase::expand);
}

TEST(VersionSchema, PresentsRetypedDroppedRenamedAndCreatedTables) {
    const PlannedMigration planned = plan_versioned(R"(
name: t
changes:
  - change_type: {table: events, column: amount, type: bigint}
  - drop_column: {table: orders, column: legacy_currency}
  - rename_table: {from: users, to: customers}
  - create_table:
      table: invoices
      columns:
        - {name: id, type: bigint, identity: always, primary_key: true}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* step = version_step(planned);
    ASSERT_NE(step, nullptr);
    EXPECT_TRUE(any_contains(step->sql, "\"_pgphase_new_amount\" AS \"amount\""));
    EXPECT_TRUE(any_contains(step->sql, "CREATE VIEW \"public_t\".\"customers\""));
    EXPECT_FALSE(any_contains(step->sql, "CREATE VIEW \"public_t\".\"users\""));
    EXPECT_TRUE(any_contains(step->sql, "CREATE VIEW \"public_t\".\"invoices\""));
    EXPECT_FALSE(any_contains(step->sql, "\"legacy_currency\""));
}

TEST(VersionSchema, LeavesOutSecurityInvokerBeforePostgres15) {
    const PlannedMigration planned = plan_versioned(R"(
name: r
changes:
  - rename_column: {table: users, from: email, to: email_address}
)",
                                                    140000);
    const Step* step = version_step(planned);
    ASSERT_NE(step, nullptr);
    EXPECT_FALSE(any_contains(step->sql, "security_invoker"));
}

TEST(VersionSchema, DropSettingRemovesItAtContract) {
    const PlannedMigration planned = plan_versioned(R"(
name: r
settings: {version_schema: drop}
changes:
  - rename_column: {table: users, from: email, to: email_address}
)");
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_FALSE(contract.empty());
    EXPECT_EQ(contract.back()->sql,
              std::vector<std::string>{R"(DROP SCHEMA IF EXISTS "public_r" CASCADE)"});
}

TEST(VersionSchema, IsNotPlannedBesideRawSqlWhoseEffectIsUnknown) {
    const PlannedMigration planned = plan_versioned(R"(
name: s
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - sql: {up: "ALTER TABLE orders DROP COLUMN status", down: "SELECT 1"}
)");
    EXPECT_EQ(version_step(planned), nullptr);
    EXPECT_NE(planned.diagnostics.to_string().find(
                  "no version schema for this migration: it has a sql change"),
              std::string::npos)
        << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
