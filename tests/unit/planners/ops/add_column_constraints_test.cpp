// add_column with unique, check and references: NOT VALID at expand, VALIDATE after the
// backfill, a concurrent unique index attached at contract; never a scan under ACCESS EXCLUSIVE.
#include "tests/unit/planners/ops/table_ops_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::has_error;
using testing::plan_with_catalog;
using testing::working_catalog;

const char* plan_text = R"yaml(
name: a
changes:
  - add_column:
      table: orders
      column:
        name: buyer_id
        type: bigint
        unique: true
        check: "buyer_id > 0"
        references: {table: users, on_delete: set_null}
      up: user_id
)yaml";

TEST(AddColumnConstraints, CheckAndForeignKeyAreAddedNotValidAtExpand) {
    const PlannedMigration planned = plan_with_catalog(plan_text);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U);
    EXPECT_EQ(expand[0]->sql.at(1), R"(ALTER TABLE "public"."orders" ADD CONSTRAINT )"
                                    R"("orders_buyer_id_check" CHECK (buyer_id > 0) NOT VALID)");
    EXPECT_EQ(expand[0]->sql.at(2),
              R"(ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_buyer_id_fkey" FOREIGN KEY )"
              R"(("buyer_id") REFERENCES "public"."users" ("id") ON DELETE SET NULL NOT VALID)");
    EXPECT_NE(expand[0]->summary.find("SHARE ROW EXCLUSIVE on users"), std::string::npos);
    // Dropping the column on rollback takes its constraints with it.
    EXPECT_EQ(expand[0]->undo.back(),
              R"(ALTER TABLE "public"."orders" DROP COLUMN IF EXISTS "buyer_id")");
}

TEST(AddColumnConstraints, ValidatesAndBuildsTheUniqueIndexAfterTheBackfill) {
    const PlannedMigration planned = plan_with_catalog(plan_text);
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 4U);
    EXPECT_EQ(backfill[0]->kind, StepKind::backfill);

    EXPECT_EQ(backfill[1]->sql.at(0),
              R"(ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_buyer_id_check")");
    EXPECT_EQ(backfill[1]->lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(backfill[1]->violation_count_sql,
              R"(SELECT count(*) FROM "public"."orders" AS pgphase_t WHERE NOT (buyer_id > 0))");
    // Rows named as PostgreSQL's details do, by key then the checked column: (id)=(7):
    // (buyer_id)=(0).
    EXPECT_EQ(backfill[1]->violation_examples_sql,
              R"(SELECT '(id)=(' || concat_ws(', ', COALESCE(pgphase_row."id"::text, 'NULL')) )"
              R"(|| ')' || ': ' || '(buyer_id)=(' || concat_ws(', ', )"
              R"(COALESCE(pgphase_row."buyer_id"::text, 'NULL')) || ')' FROM "public"."orders" )"
              R"(AS pgphase_row WHERE NOT (buyer_id > 0) ORDER BY pgphase_row."id" LIMIT 5)");

    EXPECT_EQ(backfill[2]->sql.at(0),
              R"(ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_buyer_id_fkey")");
    EXPECT_EQ(backfill[2]->violation_count_sql,
              R"(SELECT count(*) FROM "public"."orders" AS pgphase_t WHERE pgphase_t."buyer_id" )"
              R"(IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "public"."users" AS pgphase_r WHERE )"
              R"(pgphase_r."id" = pgphase_t."buyer_id"))");

    const Step& index = *backfill[3];
    EXPECT_FALSE(index.transactional);
    EXPECT_EQ(index.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(index.sql.at(0), R"(CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS )"
                               R"("orders_buyer_id_key" ON "public"."orders" ("buyer_id"))");
    ASSERT_TRUE(index.concurrent_index);
    EXPECT_EQ(index.concurrent_index->index.name, "orders_buyer_id_key");
    EXPECT_EQ(index.undo.at(0),
              R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."orders_buyer_id_key")");
    EXPECT_FALSE(index.undo_transactional);
    EXPECT_NE(
        index.violation_examples_sql.find("'(buyer_id)=(' || concat_ws(', ', COALESCE(pgphase_t."
                                          "\"buyer_id\"::text, 'NULL')) || ')' || ' appears ' "
                                          "|| count(*) || ' times'"),
        std::string::npos);
}

TEST(AddColumnConstraints, AttachesTheUniqueIndexAsAConstraintAtContract) {
    const PlannedMigration planned = plan_with_catalog(plan_text);
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 2U);
    EXPECT_EQ(contract[0]->sql,
              (std::vector<std::string>{
                  R"(ALTER TABLE "public"."orders" ADD CONSTRAINT )"
                  R"("orders_buyer_id_key" UNIQUE USING INDEX "orders_buyer_id_key")"}));
    EXPECT_EQ(contract[0]->lock, LockLevel::access_exclusive);
}

TEST(AddColumnConstraints, ConstantDefaultFormStillValidatesSeparately) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - add_column: {table: orders, column: {name: qty, type: int, nullable: false, default: "1", check: "qty > 0"}}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U);
    EXPECT_EQ(expand[0]->sql.at(0),
              R"(ALTER TABLE "public"."orders" ADD COLUMN "qty" int DEFAULT 1 NOT NULL)");
    EXPECT_TRUE(any_contains(expand[0]->sql, "CHECK (qty > 0) NOT VALID"));
    ASSERT_EQ(planned.phase_steps(Phase::backfill).size(), 1U);
    EXPECT_TRUE(any_contains(planned.phase_steps(Phase::backfill)[0]->sql, "VALIDATE CONSTRAINT"));
}

TEST(AddColumnConstraints, RecordsConstraintsInTheWorkingCatalog) {
    const Catalog working = working_catalog(testing::fixture_catalog(), plan_text);
    const CatalogTable* orders = working.table("public", "orders");
    EXPECT_NE(orders->index("orders_buyer_id_key"), nullptr);
    EXPECT_NE(working.relation("public", "orders_buyer_id_key"), nullptr);
    const CatalogTable* users = working.table("public", "users");
    EXPECT_TRUE(std::any_of(users->constraints.begin(), users->constraints.end(),
                            [](const auto& c) { return c.name == "orders_buyer_id_fkey"; }));
}

TEST(AddColumnConstraints, ReportsUnknownReferencesAndCheckInputs) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - add_column:
      table: orders
      column: {name: buyer_id, type: bigint, check: "buyer > 0", references: {table: usres}}
)yaml");
    EXPECT_TRUE(has_error(planned, "column \"orders\".\"buyer\" (read by check) does not exist"));
    EXPECT_TRUE(has_error(planned, "table \"public\".\"usres\" does not exist"));
}

} // namespace
} // namespace pgphase::planners
