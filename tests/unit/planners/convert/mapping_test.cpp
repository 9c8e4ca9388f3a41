// Each statement kind `pgphase convert` maps, checked on the plan the real loader reads back.
#include "convert_test_support.hpp"
#include "planners/lint/source.hpp"

namespace pgphase::planners::convert {
namespace {

TEST(ConvertRename, RenameColumnBecomesRenameColumn) {
    const auto& op = only<RenameColumn>(
        changes_of(R"(ALTER TABLE "User" RENAME COLUMN "email" TO "emailAddress";)"));
    EXPECT_EQ(op.table, "User");
    EXPECT_EQ(op.from, "email");
    EXPECT_EQ(op.to, "emailAddress");
}

TEST(ConvertRename, RenameTableAndConstraint) {
    const auto changes = changes_of(R"(ALTER TABLE "App" RENAME TO "Resource";
ALTER TABLE "Other" RENAME CONSTRAINT "Other_a_fkey" TO "Other_b_fkey";)");
    ASSERT_EQ(changes.size(), 2U);
    const auto& table = std::get<RenameTable>(changes[0].operation);
    EXPECT_EQ(table.from, "App");
    EXPECT_EQ(table.to, "Resource");
    const auto& constraint = std::get<RenameConstraint>(changes[1].operation);
    EXPECT_EQ(constraint.table, "Other");
    EXPECT_EQ(constraint.from, "Other_a_fkey");
    EXPECT_EQ(constraint.to, "Other_b_fkey");
}

TEST(ConvertAddColumn, DefaultAndNotNullCarryOver) {
    const auto& op = only<AddColumn>(
        changes_of(R"(ALTER TABLE "User" ADD COLUMN "role" TEXT NOT NULL DEFAULT 'user';)"));
    EXPECT_EQ(op.table, "User");
    EXPECT_EQ(op.column.name, "role");
    EXPECT_EQ(op.column.type.sql, "text");
    EXPECT_FALSE(op.column.nullable);
    ASSERT_TRUE(op.column.default_value.has_value());
    EXPECT_EQ(op.column.default_value->sql, "'user'");
    EXPECT_FALSE(op.up.has_value());
}

TEST(ConvertAddColumn, ColumnConstraintsCarryOver) {
    const auto& op = only<AddColumn>(changes_of(
        R"(ALTER TABLE orders ADD COLUMN code varchar(20) UNIQUE CHECK (code <> '') REFERENCES codes (id) ON DELETE CASCADE;)"));
    EXPECT_EQ(op.column.type.sql, "varchar(20)");
    EXPECT_TRUE(op.column.unique);
    ASSERT_TRUE(op.column.check.has_value());
    EXPECT_EQ(op.column.check->sql, "code <> ''");
    ASSERT_TRUE(op.column.references.has_value());
    EXPECT_EQ(op.column.references->table, "codes");
    EXPECT_EQ(op.column.references->columns, std::vector<std::string>{"id"});
    EXPECT_EQ(op.column.references->on_delete, "CASCADE");
}

TEST(ConvertAddColumn, NotNullWithoutDefaultIsMarkedAndRefusedUntilFilled) {
    const Converted converted =
        convert_and_load(R"(ALTER TABLE "User" ADD COLUMN "score" INTEGER NOT NULL;)");
    EXPECT_EQ(converted.result.to_fill, 1);
    EXPECT_NE(converted.result.yaml.find("# TODO: line 1: NOT NULL without a default"),
              std::string::npos)
        << converted.result.yaml;
    ASSERT_FALSE(converted.loaded.plan.has_value());
    EXPECT_NE(converted.loaded.diagnostics.to_string().find("needs a default or an \"up\""),
              std::string::npos)
        << converted.loaded.diagnostics.to_string();

    // Filled in as the comment says, it loads.
    std::string yaml = converted.result.yaml;
    yaml += "      up: \"0\"\n";
    EXPECT_TRUE(load_plan_text(yaml, "filled.yaml").plan.has_value());
}

TEST(ConvertAddColumn, DefaultWithSubqueryStaysSql) {
    const Converted converted =
        convert_and_load("ALTER TABLE t ADD COLUMN n int DEFAULT (SELECT max(id) FROM other);");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    const auto& op = only<RawSql>(converted.loaded.plan->changes);
    EXPECT_NE(op.up.text.find("SELECT max(id) FROM other"), std::string::npos);
    EXPECT_NE(converted.result.yaml.find("# line 1: kept as SQL: `(SELECT max(id) FROM other)`"),
              std::string::npos)
        << converted.result.yaml;
}

TEST(ConvertIndex, CreateIndexWithUniqueMethodAndPredicate) {
    const auto& op = only<CreateIndex>(changes_of(
        R"(CREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post" USING hash ("slug") WHERE ("deletedAt" IS NULL);)"));
    EXPECT_EQ(op.table, "Post");
    EXPECT_EQ(op.name, "Post_slug_key");
    EXPECT_EQ(op.columns, std::vector<std::string>{"slug"});
    EXPECT_TRUE(op.unique);
    EXPECT_EQ(op.method, "hash");
    ASSERT_TRUE(op.where.has_value());
    EXPECT_EQ(op.where->sql, "\"deletedAt\" IS NULL");
}

TEST(ConvertIndex, ExpressionIndexStaysSqlOutsideTransactionWhenConcurrent) {
    const auto& op = only<RawSql>(changes_of("CREATE INDEX CONCURRENTLY i ON t (lower(email));"));
    EXPECT_FALSE(op.transactional);
}

TEST(ConvertDrop, IndexTableAndColumn) {
    const auto changes = changes_of(R"(DROP INDEX "Post_slug_key";
DROP TABLE "Old";
ALTER TABLE "Post" DROP COLUMN "legacy";)");
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_EQ(std::get<DropIndex>(changes[0].operation).name, "Post_slug_key");
    EXPECT_EQ(std::get<DropTable>(changes[1].operation).table, "Old");
    const auto& column = std::get<DropColumn>(changes[2].operation);
    EXPECT_EQ(column.table, "Post");
    EXPECT_EQ(column.column, "legacy");
}

TEST(ConvertDrop, CascadeStaysSql) {
    only<RawSql>(changes_of("DROP TABLE old CASCADE;"));
}

TEST(ConvertChangeType, UpComesFromUsing) {
    const auto& op = only<ChangeType>(changes_of(
        R"(ALTER TABLE "Event" ALTER COLUMN "payload" SET DATA TYPE JSONB USING "payload"::jsonb;)"));
    EXPECT_EQ(op.column, "payload");
    EXPECT_EQ(op.type.sql, "jsonb");
    ASSERT_TRUE(op.up.has_value());
    EXPECT_EQ(op.up->sql, "payload::jsonb");
    EXPECT_FALSE(op.down.has_value()); // the loader's default: a cast back to the old type
}

TEST(ConvertChangeType, WithoutUsingIsAPlainCast) {
    const auto& op =
        only<ChangeType>(changes_of("ALTER TABLE t ALTER COLUMN n TYPE VARCHAR(200);"));
    EXPECT_EQ(op.type.sql, "varchar(200)");
    EXPECT_FALSE(op.up.has_value());
}

TEST(ConvertNullability, NotNullAndDefaults) {
    const auto changes = changes_of(R"(ALTER TABLE "T" ALTER COLUMN "a" SET NOT NULL,
ALTER COLUMN "b" DROP NOT NULL,
ALTER COLUMN "c" SET DEFAULT now(),
ALTER COLUMN "d" DROP DEFAULT;)");
    ASSERT_EQ(changes.size(), 4U);
    EXPECT_EQ(std::get<SetNotNull>(changes[0].operation).column, "a");
    EXPECT_EQ(std::get<DropNotNull>(changes[1].operation).column, "b");
    EXPECT_EQ(std::get<SetDefault>(changes[2].operation).default_value.sql, "now()");
    EXPECT_EQ(std::get<DropDefault>(changes[3].operation).column, "d");
}

TEST(ConvertConstraint, CheckForeignKeyUniquePrimaryKeyAndDrop) {
    const auto changes = changes_of(R"(
ALTER TABLE "Order" ADD CONSTRAINT "Order_total_check" CHECK ("total" >= 0);
ALTER TABLE "Order" ADD CONSTRAINT "Order_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Order" ADD CONSTRAINT "Order_ref_key" UNIQUE ("ref", "shop");
ALTER TABLE "Log" ADD CONSTRAINT "Log_pkey" PRIMARY KEY ("id");
ALTER TABLE "Order" DROP CONSTRAINT "Order_old_check";)");
    ASSERT_EQ(changes.size(), 5U);
    const auto& check = std::get<AddCheck>(changes[0].operation);
    EXPECT_EQ(check.name, "Order_total_check");
    EXPECT_EQ(check.check.sql, "total >= 0");
    const auto& fk = std::get<AddForeignKey>(changes[1].operation);
    EXPECT_EQ(fk.name, "Order_userId_fkey");
    EXPECT_EQ(fk.columns, std::vector<std::string>{"userId"});
    EXPECT_EQ(fk.references_table, "User");
    EXPECT_EQ(fk.references_columns, std::vector<std::string>{"id"});
    EXPECT_EQ(fk.on_delete, "SET NULL");
    EXPECT_EQ(fk.on_update, "CASCADE");
    const auto& unique = std::get<AddUnique>(changes[2].operation);
    EXPECT_EQ(unique.columns, (std::vector<std::string>{"ref", "shop"}));
    EXPECT_EQ(std::get<AddPrimaryKey>(changes[3].operation).name, "Log_pkey");
    EXPECT_EQ(std::get<DropConstraint>(changes[4].operation).name, "Order_old_check");
}

TEST(ConvertConstraint, NotValidStaysSql) {
    only<RawSql>(changes_of(
        "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID;"));
}

TEST(ConvertEnum, RecreationDanceRunsAsWrittenInOrder) {
    const Converted converted = convert_and_load(R"(
CREATE TYPE "Role_new" AS ENUM ('USER', 'ADMIN');
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    const auto& changes = converted.loaded.plan->changes;
    ASSERT_EQ(changes.size(), 5U);
    for (const Change& change : changes) {
        EXPECT_TRUE(std::holds_alternative<RawSql>(change.operation));
    }
    EXPECT_NE(converted.result.yaml.find("Prisma's enum recreation"), std::string::npos);
}

TEST(ConvertRename, DropAndAddOfASimilarNameIsAProbableRenameToConfirm) {
    const Converted converted = convert_and_load(R"(/*
  Warnings:

  - You are about to drop the column `userid` on the `Post` table. All the data in the column will be lost.

*/
ALTER TABLE "Post" DROP COLUMN "userid",
ADD COLUMN     "userId" TEXT;)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    const auto& op = only<RenameColumn>(converted.loaded.plan->changes);
    EXPECT_EQ(op.from, "userid");
    EXPECT_EQ(op.to, "userId");
    EXPECT_EQ(converted.result.to_confirm, 1);
    EXPECT_NE(converted.result.yaml.find("# CONFIRM:"), std::string::npos);
    EXPECT_NE(converted.result.yaml.find("# Prisma warned: You are about to drop"),
              std::string::npos)
        << converted.result.yaml;
}

// A guess kept only when the dropped column's type, where known, is the declared one: a
// rename keeps the old type, so one whose types differ would silently change it.
TEST(ConvertRename, ADropAndAnAddOfAnotherKnownTypeIsNoRenameGuessWhateverTheNames) {
    lint::SchemaModel before;
    before.apply(lint::SourceFile("0_init.sql", R"(CREATE TABLE "Post" ("id" SERIAL NOT NULL,
"userid" UUID);)")
                     .statements()
                     .at(0));
    const std::string sql = R"(CREATE TYPE "Role" AS ENUM ('a', 'b');
ALTER TABLE "Post" DROP COLUMN "userid",
ADD COLUMN "userId" "Role";)";
    const ConvertResult result = convert_sql("m.sql", sql, &before);
    const LoadResult loaded = load_plan_text(result.yaml, "converted.yaml");
    ASSERT_TRUE(loaded.plan.has_value()) << loaded.diagnostics.to_string() << result.yaml;
    EXPECT_EQ(result.to_confirm, 0) << result.yaml;
    EXPECT_EQ(result.yaml.find("rename_column"), std::string::npos) << result.yaml;
    EXPECT_NE(result.yaml.find("add_column"), std::string::npos) << result.yaml;
}

TEST(ConvertRename, ANameOnlyGuessSaysTheDeclaredTypeTheRenameMustMatch) {
    const ConvertResult result = convert_sql(
        "m.sql", "ALTER TABLE \"Post\" DROP COLUMN \"userid\", ADD COLUMN \"userId\" UUID;");
    EXPECT_EQ(result.to_confirm, 1) << result.yaml;
    EXPECT_NE(result.yaml.find("the old column's type is unknown here (no earlier migration read "
                               "declares it); the migration declares uuid. A rename keeps the "
                               "old type: if it differs, this is no rename."),
              std::string::npos)
        << result.yaml;
}

TEST(ConvertRename, UnrelatedDropAndAddStayApart) {
    const auto changes = changes_of(R"(ALTER TABLE "Post" DROP COLUMN "title",
ADD COLUMN "score" INTEGER;)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<DropColumn>(changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<AddColumn>(changes[1].operation));
}

// With the types earlier migrations created (lint's replay of them), a drop and an add of
// the same type read as a rename whatever their names, as lint's probable-rename reads them;
// another type stays a drop and an add, alike names or not.
TEST(ConvertRename, KnownSameTypeReadsAsARenameWhateverTheNames) {
    lint::SchemaModel before;
    before.apply(lint::SourceFile("0_init.sql", R"(CREATE TABLE "User" ("id" SERIAL NOT NULL,
"email" TEXT NOT NULL, "age" INTEGER, "title" TEXT);)")
                     .statements()
                     .at(0));
    const std::string sql = R"(ALTER TABLE "User" DROP COLUMN "email",
ADD COLUMN "emailAddress" TEXT NOT NULL;)";
    const ConvertResult without = convert_sql("m.sql", sql);
    EXPECT_EQ(without.to_confirm, 0) << "email and emailAddress are not alike:\n" << without.yaml;

    const ConvertResult with = convert_sql("m.sql", sql, &before);
    const LoadResult loaded = load_plan_text(with.yaml, "converted.yaml");
    ASSERT_TRUE(loaded.plan.has_value()) << loaded.diagnostics.to_string() << with.yaml;
    const auto& op = only<RenameColumn>(loaded.plan->changes);
    EXPECT_EQ(op.from, "email");
    EXPECT_EQ(op.to, "emailAddress");
    EXPECT_EQ(with.to_confirm, 1);
    EXPECT_NE(with.yaml.find("drops column email and adds \"emailAddress\" of the same type "
                             "(text) on the same table"),
              std::string::npos)
        << with.yaml;

    // Known types that differ: not a rename, even for alike names.
    const ConvertResult retyped = convert_sql("m.sql", R"(ALTER TABLE "User" DROP COLUMN "age",
ADD COLUMN "ageYears" TEXT;)",
                                              &before);
    EXPECT_EQ(retyped.to_confirm, 0) << retyped.yaml;
    EXPECT_NE(retyped.yaml.find("- drop_column:"), std::string::npos) << retyped.yaml;
}

TEST(ConvertBackfill, UpdateWithWhereBecomesBackfill) {
    const auto& op = only<BackfillData>(changes_of(
        R"(UPDATE "User" SET "name" = lower("name"), "n" = 0 WHERE "name" <> lower("name");)"));
    EXPECT_EQ(op.table, "User");
    ASSERT_EQ(op.set.size(), 2U);
    EXPECT_EQ(op.set[0].first, "name");
    EXPECT_EQ(op.set[0].second.sql, "lower(name)");
    EXPECT_EQ(op.set[1].second.sql, "0");
    ASSERT_TRUE(op.where.has_value());
    EXPECT_EQ(op.where->sql, "name <> lower(name)");
}

TEST(ConvertBackfill, UpdateWithFromOrSubqueryStaysSql) {
    only<RawSql>(changes_of(R"(UPDATE a SET x = b.y FROM b WHERE a.id = b.id;)"));
    only<RawSql>(changes_of(R"(UPDATE a SET x = (SELECT 1);)"));
}

TEST(ConvertCreateTable, PrismaTableWithKeysIdentityAndChecks) {
    const auto& op = only<CreateTable>(changes_of(R"(CREATE TABLE "Wallet" (
    "id" SERIAL NOT NULL,
    "userId" TEXT NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'USD',
    "balance" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "tags" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Wallet_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Wallet_userId_currency_key" UNIQUE ("userId", "currency"),
    CONSTRAINT "Wallet_balance_check" CHECK ("balance" >= 0)
);)"));
    EXPECT_EQ(op.table, "Wallet");
    ASSERT_EQ(op.columns.size(), 6U);
    EXPECT_EQ(op.columns[0].identity, "BY DEFAULT");
    EXPECT_EQ(op.columns[0].type.sql, "int");
    EXPECT_FALSE(op.columns[1].nullable);
    ASSERT_TRUE(op.columns[1].references.has_value());
    EXPECT_EQ(op.columns[1].references->on_delete, "CASCADE");
    EXPECT_EQ(op.columns[2].default_value->sql, "'USD'");
    EXPECT_EQ(op.columns[3].type.sql, "numeric(65, 30)");
    EXPECT_EQ(op.columns[4].type.sql, "text[]");
    EXPECT_EQ(op.columns[5].type.sql, "timestamp(3)");
    EXPECT_EQ(op.columns[5].default_value->sql, "current_timestamp"); // the deparser's spelling
    EXPECT_EQ(op.primary_key, std::vector<std::string>{"id"});
    ASSERT_EQ(op.unique.size(), 1U);
    EXPECT_EQ(op.unique[0].name, "Wallet_userId_currency_key");
    ASSERT_EQ(op.checks.size(), 1U);
    EXPECT_EQ(op.checks[0].expression.sql, "balance >= 0");
}

TEST(ConvertCreateTable, StatementsOnTheNewTableStaySql) {
    const Converted converted = convert_and_load(
        R"(CREATE TABLE "Tag" ("id" TEXT NOT NULL, CONSTRAINT "Tag_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "Tag_id_key" ON "Tag"("id");
ALTER TABLE "Tag" ADD CONSTRAINT "Tag_x_fkey" FOREIGN KEY ("id") REFERENCES "X"("id") ON DELETE RESTRICT ON UPDATE CASCADE;)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    const auto& changes = converted.loaded.plan->changes;
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_TRUE(std::holds_alternative<CreateTable>(changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<RawSql>(changes[1].operation));
    EXPECT_TRUE(std::holds_alternative<RawSql>(changes[2].operation));
    EXPECT_NE(converted.result.yaml.find("is created by this migration"), std::string::npos);
}

TEST(ConvertOther, ExtensionsTypesAndFunctionsStaySqlWithAReason) {
    const Converted converted = convert_and_load(R"(CREATE EXTENSION IF NOT EXISTS "pgcrypto";
CREATE TYPE "Mood" AS ENUM ('happy', 'sad');
DO $$ BEGIN RAISE NOTICE 'hi'; END $$;)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    EXPECT_EQ(converted.loaded.plan->changes.size(), 3U);
    EXPECT_EQ(converted.result.raw_sql, 3);
    EXPECT_NE(converted.result.yaml.find("extensions have no pgphase operation"),
              std::string::npos);
    EXPECT_NE(converted.result.yaml.find("DO $$ BEGIN RAISE NOTICE 'hi'; END $$"),
              std::string::npos);
}

TEST(ConvertIdentifiers, HostileNamesRoundTripThroughYaml) {
    const auto changes = changes_of(R"(ALTER TABLE "select" RENAME COLUMN "quo""te" TO "Mixed Case";
ALTER TABLE "select" ADD COLUMN "yes" text DEFAULT 'it''s';)");
    ASSERT_EQ(changes.size(), 2U);
    const auto& rename = std::get<RenameColumn>(changes[0].operation);
    EXPECT_EQ(rename.table, "select");
    EXPECT_EQ(rename.from, "quo\"te");
    EXPECT_EQ(rename.to, "Mixed Case");
    const auto& add = std::get<AddColumn>(changes[1].operation);
    EXPECT_EQ(add.column.name, "yes");
    EXPECT_EQ(add.column.default_value->sql, "'it''s'");
}

TEST(ConvertSchema, QualifiedNamesSetThePlanSchema) {
    Converted converted = convert_and_load(R"(ALTER TABLE app.users RENAME COLUMN a TO b;
ALTER TABLE other.t RENAME COLUMN a TO b;)");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    EXPECT_EQ(converted.loaded.plan->schema, "app");
    ASSERT_EQ(converted.loaded.plan->changes.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<RenameColumn>(converted.loaded.plan->changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<RawSql>(converted.loaded.plan->changes[1].operation));
}

TEST(ConvertInput, SyntaxErrorIsReportedAtLineAndColumn) {
    const ConvertResult result =
        convert_sql("m.sql", "ALTER TABLE t RENAME a TO b;\nALTER TABLE t ADD COLUM x int;\n");
    ASSERT_TRUE(result.errors.has_errors());
    EXPECT_TRUE(result.yaml.empty());
    EXPECT_NE(result.errors.to_string().find("m.sql:2:"), std::string::npos)
        << result.errors.to_string();
}

TEST(ConvertInput, InvalidUtf8AndNulAreErrorsAtTheirPositions) {
    const ConvertResult result = convert_sql(
        "m.sql", std::string("ALTER TABLE t RENAME a TO b;\nUPDATE t SET b = '\xFF';\nSELECT '") +
                     '\0' + "';\n");
    EXPECT_TRUE(result.yaml.empty());
    const std::string errors = result.errors.to_string();
    EXPECT_NE(errors.find("m.sql:2:19: error: invalid UTF-8 byte sequence 0xff"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("m.sql:3:9: error: NUL byte (0x00) in the file"), std::string::npos)
        << errors;
    EXPECT_EQ(result.errors.all().size(), 2U) << errors;
}

TEST(ConvertInput, AByteOrderMarkIsSkippedAndCrlfLinesConvert) {
    Converted converted = convert_and_load("\xEF\xBB\xBF-- x\r\nALTER TABLE t RENAME a TO b;\r\n");
    ASSERT_TRUE(converted.loaded.plan.has_value())
        << converted.result.errors.to_string() << converted.loaded.diagnostics.to_string();
    const auto& op = only<RenameColumn>(converted.loaded.plan->changes);
    EXPECT_EQ(op.from, "a");
    EXPECT_EQ(op.to, "b");
}

TEST(ConvertInput, CommentsOnlyIsBadInput) {
    EXPECT_TRUE(convert_sql("m.sql", "-- nothing\n").errors.has_errors());
}

TEST(ConvertName, DerivedFromPrismaFolderOrFile) {
    EXPECT_EQ(migration_name_for("prisma/migrations/20220707120437_from_app_to_resource/"
                                 "migration.sql"),
              "20220707120437_from_app_to_resource");
    EXPECT_EQ(migration_name_for("db/002_Add-Users.Table.sql"), "002_add_users_table");
    EXPECT_EQ(migration_name_for("x/" + std::string(60, 'a') + ".sql"), std::string(48, 'a'));
    EXPECT_EQ(migration_name_for("---.sql"), "converted");
}

} // namespace
} // namespace pgphase::planners::convert

namespace pgphase::planners::convert {
namespace {

// Prisma's recipe for making a field required, as Reactive-Resume wrote it.
TEST(ConvertNotNull, AnUpdateOfTheNullsBeforeSetNotNullBecomesItsUp) {
    const auto changes = changes_of(R"(UPDATE "Secrets" SET "lastSignedIn" = CURRENT_TIMESTAMP
WHERE "lastSignedIn" IS NULL;
ALTER TABLE "Secrets" ALTER COLUMN "lastSignedIn" SET NOT NULL,
ALTER COLUMN "lastSignedIn" SET DEFAULT CURRENT_TIMESTAMP;)");
    ASSERT_EQ(changes.size(), 2U);
    const auto& set_default = std::get<SetDefault>(changes[0].operation);
    EXPECT_EQ(set_default.column, "lastSignedIn");
    const auto& set_not_null = std::get<SetNotNull>(changes[1].operation);
    EXPECT_EQ(set_not_null.column, "lastSignedIn");
    ASSERT_TRUE(set_not_null.up.has_value());
    EXPECT_EQ(set_not_null.up->sql, "current_timestamp");
}

TEST(ConvertNotNull, OtherUpdatesStayBackfills) {
    // Another column, another predicate, another table: nothing to fold.
    for (const std::string update :
         {R"(UPDATE t SET c = 1, d = 2 WHERE c IS NULL;)", R"(UPDATE t SET c = 1 WHERE d IS NULL;)",
          R"(UPDATE t SET c = 1 WHERE c IS NULL AND d > 0;)",
          R"(UPDATE u SET c = 1 WHERE c IS NULL;)", R"(UPDATE t SET c = 1;)"}) {
        const auto changes = changes_of(update + "\nALTER TABLE t ALTER COLUMN c SET NOT NULL;");
        ASSERT_EQ(changes.size(), 2U) << update;
        EXPECT_TRUE(std::holds_alternative<BackfillData>(changes[0].operation)) << update;
        EXPECT_FALSE(std::get<SetNotNull>(changes[1].operation).up.has_value()) << update;
    }
}

TEST(ConvertKeptAsSql, TheLinesOfStatementsKeptAsSqlAreReported) {
    const Converted converted = convert_and_load("ALTER TABLE t ADD COLUMN c text;\n"
                                                 "CREATE FUNCTION f() RETURNS int\n"
                                                 "LANGUAGE sql AS 'SELECT 1';\n");
    ASSERT_EQ(converted.result.kept_as_sql.size(), 1U) << converted.result.yaml;
    EXPECT_EQ(converted.result.kept_as_sql[0], (std::pair<int, int>{2, 3}));
}

TEST(ConvertNotNull, ADefaultAfterSetNotNullInOneStatementGoesFirst) {
    const auto changes = changes_of(R"(ALTER TABLE t ALTER COLUMN c SET NOT NULL,
ALTER COLUMN d SET DEFAULT 0, ALTER COLUMN c SET DEFAULT 1;)");
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_EQ(std::get<SetDefault>(changes[0].operation).column, "c");
    EXPECT_EQ(std::get<SetNotNull>(changes[1].operation).column, "c");
    EXPECT_EQ(std::get<SetDefault>(changes[2].operation).column, "d");
}

} // namespace
} // namespace pgphase::planners::convert
