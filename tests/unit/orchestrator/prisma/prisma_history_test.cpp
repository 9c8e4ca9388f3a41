// Prisma migration history, the pure parts: the migration name taken from a directory, the
// bytes that are hashed (as hex, and the line-ending variants Prisma accepts), old unpadded
// checksums, the history table's schema from a Prisma DATABASE_URL, and the plan field.
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/prisma/prisma_history.hpp"
#include "planners/load/plan_loader.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace pgphase::orchestrator::prisma {
namespace {

// sha256("hello"), the vector in prisma-engines' checksum.rs tests.
const std::string hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

TEST(PrismaMigrationName, IsTheDirectorysName) {
    EXPECT_EQ(migration_name("prisma/migrations/20261125093000_rename_email"),
              "20261125093000_rename_email");
    EXPECT_EQ(migration_name("prisma/migrations/20261125093000_rename_email/"),
              "20261125093000_rename_email");
    EXPECT_EQ(migration_name("/abs/migrations/0_init"), "0_init");
    EXPECT_EQ(migration_name("20261125093000_rename_email"), "20261125093000_rename_email");
}

TEST(PrismaMigrationName, AcceptsThePathOfItsMigrationSql) {
    EXPECT_EQ(migration_name("prisma/migrations/20261125093000_rename_email/migration.sql"),
              "20261125093000_rename_email");
}

TEST(PrismaMigrationName, IsEmptyWhenThePathNamesNoDirectory) {
    EXPECT_EQ(migration_name(""), "");
    EXPECT_EQ(migration_name("."), "");
    EXPECT_EQ(migration_name("a/.."), "");
}

TEST(PrismaChecksum, HexEncodesEveryByteZeroPadded) {
    EXPECT_EQ(hex_encode(""), "");
    EXPECT_EQ(hex_encode("hello"), "68656c6c6f");
    EXPECT_EQ(hex_encode(std::string("\0\n\xff\x80", 4)), "000aff80");
}

TEST(PrismaChecksum, LineEndingVariantsAreThoseRustsReplaceGives) {
    EXPECT_EQ(crlf_to_lf("a\r\nb\rc\r\n"), "a\nb\rc\n");
    EXPECT_EQ(lf_to_crlf("a\nb\r\nc"), "a\r\nb\r\r\nc"); // every \n, as str::replace('\n', ..)
    const auto inputs = checksum_inputs("x\r\ny\n");
    ASSERT_EQ(inputs.size(), 3U);
    EXPECT_EQ(inputs[0], "x\r\ny\n"); // the one written: the file as it is
    EXPECT_EQ(inputs[1], "x\ny\n");
    EXPECT_EQ(inputs[2], "x\r\r\ny\r\n");
}

TEST(PrismaChecksum, UnpaddedFormDropsTheLeadingZeroOfEachByte) {
    EXPECT_EQ(unpadded_checksum("000a0ba0ff"), "0aba0ff");
    EXPECT_EQ(unpadded_checksum(hello),
              "2cf24dba5fb0a3e26e83b2ac5b9e29e1b161e5c1fa7425e7343362938b9824");
}

TEST(PrismaChecksum, MatchesThePaddedFormOfAnyVariant) {
    const std::vector<std::string> digests = {hello, std::string(64, 'a'), std::string(64, 'b')};
    EXPECT_TRUE(checksum_matches(hello, digests));
    EXPECT_TRUE(checksum_matches(std::string(64, 'b'), digests));
    EXPECT_FALSE(checksum_matches(std::string(64, 'c'), digests));
    EXPECT_FALSE(checksum_matches("", digests));
}

TEST(PrismaChecksum, MatchesAnOldUnpaddedChecksum) {
    EXPECT_TRUE(checksum_matches(unpadded_checksum(hello), {hello}));
    EXPECT_FALSE(checksum_matches(unpadded_checksum(hello).substr(1), {hello}));
}

TEST(PrismaHistorySchema, IsTheUrlsSchemaParameterElsePublic) {
    EXPECT_EQ(history_schema("postgresql://u:p@h/db"), "public");
    EXPECT_EQ(history_schema("postgresql://u:p@h/db?schema=app"), "app");
    EXPECT_EQ(history_schema("postgres://h/db?connection_limit=5&schema=app&pgbouncer=true"),
              "app");
    EXPECT_EQ(history_schema("postgresql://h/db?schema=My%20App"), "My App");
    EXPECT_EQ(history_schema("postgresql://h/db?schema="), "public");
    EXPECT_EQ(history_schema("postgresql://h/db?search_schema=x"), "public");
    EXPECT_EQ(history_schema("host=h dbname=db"), "public"); // keyword form: no Prisma params
}

class ReadMigration : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() /
                ("pgphase-prisma-unit-" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_dir / "20261125093000_rename_email");
        std::ofstream(m_dir / "20261125093000_rename_email" / "migration.sql", std::ios::binary)
            << "ALTER TABLE \"User\" RENAME COLUMN \"email\" TO \"emailAddress\";\r\n";
        std::filesystem::create_directories(m_dir / "20261125093001_empty_dir");
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::filesystem::path m_dir;
};

TEST_F(ReadMigration, ReadsTheScriptBytesUnchanged) {
    const PrismaMigration migration =
        read_migration((m_dir / "20261125093000_rename_email").string() + "/");
    EXPECT_EQ(migration.name, "20261125093000_rename_email");
    EXPECT_EQ(migration.script,
              "ALTER TABLE \"User\" RENAME COLUMN \"email\" TO \"emailAddress\";\r\n");
    EXPECT_EQ(std::filesystem::path(migration.script_path).filename(), "migration.sql");
}

TEST_F(ReadMigration, RejectsAMissingDirectoryOrScriptAsBadInput) {
    for (const auto& dir : {m_dir / "nope", m_dir / "20261125093001_empty_dir"}) {
        try {
            read_migration(dir.string());
            ADD_FAILURE() << "no error for " << dir;
        } catch (const CommandError& e) {
            EXPECT_EQ(e.code(), ExitCode::bad_input);
            EXPECT_NE(std::string(e.what()).find(dir.filename().string()), std::string::npos)
                << e.what();
        }
    }
}

TEST(PrismaPlanField, IsResolvedAgainstThePlanFilesDirectory) {
    const auto loaded = planners::load_plan_text(
        "name: m\nprisma_migration: ../prisma/migrations/20261125093000_x\nchanges:\n"
        "  - create_index: {table: t, name: t_a_idx, columns: [a]}\n",
        "deploy/plans/m.yaml");
    ASSERT_TRUE(loaded.plan) << loaded.diagnostics.to_string();
    EXPECT_EQ(loaded.plan->prisma_migration, "deploy/prisma/migrations/20261125093000_x");
}

TEST(PrismaPlanField, KeepsAnAbsolutePathAndDoesNotChangeThePlanChecksum) {
    const std::string changes =
        "changes:\n  - create_index: {table: t, name: t_a_idx, columns: [a]}\n";
    const auto with = planners::load_plan_text(
        "name: m\nprisma_migration: /srv/app/prisma/migrations/1_x\n" + changes, "p.yaml");
    const auto without = planners::load_plan_text("name: m\n" + changes, "p.yaml");
    ASSERT_TRUE(with.plan && without.plan);
    EXPECT_EQ(with.plan->prisma_migration, "/srv/app/prisma/migrations/1_x");
    EXPECT_EQ(without.plan->prisma_migration, "");
    // Adding the field to a plan in flight is allowed: it is not a change to the schema.
    EXPECT_EQ(planners::checksum(*with.plan), planners::checksum(*without.plan));
}

TEST(PrismaPlanField, EmptyOrNonStringIsAnError) {
    const auto empty = planners::load_plan_text(
        "name: m\nprisma_migration: ''\nchanges:\n  - create_index: {table: t, name: i, "
        "columns: [a]}\n",
        "p.yaml");
    EXPECT_FALSE(empty.plan);
    EXPECT_NE(empty.diagnostics.to_string().find("p.yaml:2:"), std::string::npos)
        << empty.diagnostics.to_string();
    const auto list = planners::load_plan_text(
        "name: m\nprisma_migration: [a]\nchanges:\n  - create_index: {table: t, name: i, "
        "columns: [a]}\n",
        "p.yaml");
    EXPECT_FALSE(list.plan);
}

} // namespace
} // namespace pgphase::orchestrator::prisma
