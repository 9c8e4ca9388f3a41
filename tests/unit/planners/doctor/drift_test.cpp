// Drift: what a migrations folder produces, replayed, against a catalog written by hand.
#include "planners/doctor/drift.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::doctor {
namespace {

const char* init = R"sql(
CREATE TYPE "Role" AS ENUM ('user', 'admin');
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" VARCHAR(80) NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'user',
    "tags" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE legacy (id int);
)sql";

const char* second = R"sql(
ALTER TABLE "User" ADD COLUMN "name" TEXT, ALTER COLUMN "tags" SET NOT NULL;
ALTER TABLE "User" RENAME COLUMN "createdAt" TO "created_at";
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
DROP TABLE legacy;
CREATE INDEX "User_name_idx" ON "User"("name");
ALTER INDEX "User_name_idx" RENAME TO "user_name";
)sql";

CatalogTable user_table() {
    CatalogTable table;
    table.schema = "public";
    table.name = "User";
    table.columns = {
        {"id", "integer", true, "nextval('\"User_id_seq\"'::regclass)", false, false},
        {"email", "character varying(80)", true, std::nullopt, false, false},
        {"role", "\"Role\"", true, std::nullopt, false, false},
        {"tags", "text[]", true, std::nullopt, false, false},
        {"created_at", "timestamp(3) without time zone", true, "CURRENT_TIMESTAMP", false, false},
        {"name", "text", false, std::nullopt, false, false},
    };
    CatalogIndex pkey;
    pkey.name = "User_pkey";
    pkey.unique = true;
    pkey.primary = true;
    CatalogIndex email;
    email.name = "User_email_key";
    email.unique = true;
    CatalogIndex name;
    name.name = "user_name";
    table.indexes = {pkey, email, name};
    return table;
}

std::vector<std::string> messages(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const auto& finding : findings) {
        EXPECT_EQ(finding.check, "schema-drift");
        EXPECT_FALSE(finding.fixable());
        out.push_back(finding.message);
    }
    return out;
}

class Drift : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(expected.apply_script(init), "");
        ASSERT_EQ(expected.apply_script(second), "");
        live.tables = {user_table()};
    }

    ReplayedSchema expected;
    Catalog live;
};

TEST_F(Drift, ALiveSchemaThatMatchesTheReplayIsNoDrift) {
    EXPECT_EQ(messages(drift(expected, live, "migrations", "pgphase")), std::vector<std::string>{});
}

TEST_F(Drift, HandEditsAreReportedColumnByColumn) {
    auto& table = live.tables[0];
    table.columns[1].type = "text";                  // email retyped by hand
    table.columns[3].not_null = false;               // tags nullable again
    table.columns[2].default_expression = "'admin'"; // a default set by hand
    table.columns.push_back({"nickname", "text", false, std::nullopt, false, false});
    table.columns.push_back({"_pgphase_new_id", "bigint", false, std::nullopt, false, false});
    // Tombstones contract kept, and their markers, are pgphase's too.
    table.columns.push_back(
        {"_pgphase_dropped_1a2b3c4d_bio", "text", false, std::nullopt, false, false});
    table.columns.push_back({"_pgphase_written_1a2b3c4d", "boolean", false, "true", false, false});
    table.indexes.erase(table.indexes.begin() + 1); // User_email_key dropped
    CatalogIndex extra;
    extra.name = "by_hand";
    extra.definition = "CREATE INDEX by_hand ON public.\"User\" USING btree (role)";
    table.indexes.push_back(extra);
    CatalogTable stray;
    stray.schema = "public";
    stray.name = "scratch";
    CatalogTable history;
    history.schema = "public";
    history.name = "_prisma_migrations";
    live.tables.push_back(stray);
    live.tables.push_back(history);

    EXPECT_EQ(messages(drift(expected, live, "migrations", "pgphase")),
              (std::vector<std::string>{
                  R"(column "public"."User"."email" is text, migrations makes it varchar(80))",
                  R"(column "public"."User"."role" has a default, migrations gives it none)",
                  R"(column "public"."User"."tags" is nullable, migrations makes it NOT NULL)",
                  R"(column "public"."User"."nickname" (text) is not in migrations)",
                  R"(table "public"."scratch" is not in migrations)",
                  R"(index "public"."User_email_key" on "public"."User" is missing)",
                  "index \"public\".\"by_hand\" is not in migrations: CREATE INDEX by_hand ON "
                  "public.\"User\" USING btree (role)",
              }));
}

TEST_F(Drift, AMissingTableAndColumnAreReportedAndOtherSchemasAreLeftAlone) {
    live.tables[0].columns.pop_back(); // name
    live.tables[0].indexes.pop_back(); // its index went with it
    CatalogTable elsewhere;
    elsewhere.schema = "audit";
    elsewhere.name = "log";
    live.tables.push_back(elsewhere);
    ASSERT_EQ(expected.apply_script("CREATE TABLE orders (id bigserial PRIMARY KEY)"), "");
    EXPECT_EQ(messages(drift(expected, live, "migrations", "pgphase")),
              (std::vector<std::string>{
                  R"(column "public"."User"."name" is missing)",
                  R"(table "public"."orders" is missing: migrations creates it)",
                  R"(index "public"."user_name" on "public"."User" is missing)",
              }));
}

TEST(DriftReplay, SqlThatDoesNotParseSaysWhy) {
    ReplayedSchema schema;
    EXPECT_NE(schema.apply_script("CREATE TABLE (").find("syntax error"), std::string::npos);
}

} // namespace
} // namespace pgphase::planners::doctor
