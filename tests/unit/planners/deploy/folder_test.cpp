// read_folder: which kind a folder is, the order of its migrations, where their reviewed plans
// belong, and the folders it refuses.
#include "planners/deploy/folder.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace pgphase::planners::deploy {
namespace {

namespace fs = std::filesystem;

class Folder : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() /
                 ("pgphase-folder-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_root);
        fs::create_directories(m_root);
    }
    void TearDown() override { fs::remove_all(m_root); }

    void write(const std::string& relative, const std::string& text) {
        const fs::path path = m_root / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
    }
    std::string root() const { return m_root.string(); }

private:
    fs::path m_root;
};

TEST_F(Folder, APrismaFolderIsReadInNameOrderWithItsBytesAsOnDisk) {
    write("20240102000000_b/migration.sql", "SELECT 2;\r\n");
    write("20240101000000_a/migration.sql", "SELECT 1;\n");
    write("20240101000000_a/pgphase.yaml", "name: a\n");
    write("migration_lock.toml", "provider = \"postgresql\"\n");
    const MigrationFolder folder = read_folder(root());
    ASSERT_TRUE(folder.errors.empty());
    EXPECT_EQ(folder.kind, FolderKind::prisma);
    ASSERT_EQ(folder.migrations.size(), 2U);
    EXPECT_EQ(folder.migrations[0].name, "20240101000000_a");
    EXPECT_EQ(folder.migrations[0].script, "SELECT 1;\n");
    EXPECT_TRUE(folder.migrations[0].has_reviewed_plan);
    EXPECT_EQ(folder.migrations[0].reviewed_plan_path, root() + "/20240101000000_a/pgphase.yaml");
    EXPECT_EQ(folder.migrations[1].name, "20240102000000_b");
    EXPECT_EQ(folder.migrations[1].script, "SELECT 2;\r\n");
    EXPECT_FALSE(folder.migrations[1].has_reviewed_plan);
}

TEST_F(Folder, AFolderHoldingMigrationsIsReadThroughIt) {
    write("migrations/20240101000000_a/migration.sql", "SELECT 1;\n");
    write("schema.prisma", "datasource db {}\n");
    const MigrationFolder folder = read_folder(root());
    ASSERT_TRUE(folder.errors.empty());
    EXPECT_EQ(folder.dir, root() + "/migrations");
    ASSERT_EQ(folder.migrations.size(), 1U);
}

TEST_F(Folder, LooseSqlInAPrismaFolderIsSkippedWithANote) {
    write("20240101000000_a/migration.sql", "SELECT 1;\n");
    write("seed.sql", "INSERT INTO t VALUES (1);\n");
    const MigrationFolder folder = read_folder(root());
    ASSERT_TRUE(folder.errors.empty());
    ASSERT_EQ(folder.migrations.size(), 1U);
    ASSERT_EQ(folder.notes.size(), 1U);
    EXPECT_NE(folder.notes[0].find("seed.sql"), std::string::npos);
}

TEST_F(Folder, APrismaDirectoryWithoutItsScriptIsAnError) {
    write("20240101000000_a/migration.sql", "SELECT 1;\n");
    fs::create_directories(fs::path(root()) / "20240102000000_b");
    const MigrationFolder folder = read_folder(root());
    ASSERT_EQ(folder.errors.size(), 1U);
    EXPECT_NE(folder.errors[0].find("20240102000000_b\" has no migration.sql"), std::string::npos);
}

TEST_F(Folder, APlainFolderTakesSqlFilesByStemAndPlansBesideThem) {
    write("002_add_index.sql", "CREATE INDEX i ON t (c);\n");
    write("001_init.sql", "CREATE TABLE t (c int);\n");
    write("002_add_index.pgphase.yaml", "name: add_index\n");
    write("README.md", "notes\n");
    const MigrationFolder folder = read_folder(root());
    ASSERT_TRUE(folder.errors.empty());
    EXPECT_EQ(folder.kind, FolderKind::plain);
    ASSERT_EQ(folder.migrations.size(), 2U);
    EXPECT_EQ(folder.migrations[0].name, "001_init");
    EXPECT_EQ(folder.migrations[1].name, "002_add_index");
    EXPECT_TRUE(folder.migrations[1].has_reviewed_plan);
    EXPECT_EQ(folder.migrations[1].reviewed_plan_path, root() + "/002_add_index.pgphase.yaml");
}

TEST_F(Folder, AMissingOrEmptyFolderIsAnError) {
    EXPECT_EQ(read_folder(root() + "/nowhere").errors.size(), 1U);
    const MigrationFolder empty = read_folder(root());
    ASSERT_EQ(empty.errors.size(), 1U);
    EXPECT_NE(empty.errors[0].find("holds no migration"), std::string::npos);
}

} // namespace
} // namespace pgphase::planners::deploy
