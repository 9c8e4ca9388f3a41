// `pgphase lint --dsn`: column types come from the live catalog, so a type change on a table
// no linted migration creates is judged against the type the column really has.
#include "tests/integration/support.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

class LintDsn : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id integer PRIMARY KEY, name varchar(80), "
                     "note text, created timestamp(3))");
        m_file =
            fs::temp_directory_path() /
            ("pgphase-lint-dsn-" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".sql");
    }
    void TearDown() override {
        fs::remove(m_file);
        DatabaseTest::TearDown();
    }

    CommandResult lint(const std::string& sql) {
        std::ofstream(m_file, std::ios::binary) << "SET lock_timeout = '2s';\n" << sql;
        return pgphase({"lint", m_file.string()});
    }

private:
    fs::path m_file;
};

TEST_F(LintDsn, BinaryCompatibleChangesKnownFromTheCatalogAreNotFlagged) {
    const CommandResult run = lint("ALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n"
                                   "ALTER TABLE users ALTER COLUMN note TYPE varchar;\n"
                                   "ALTER TABLE users ALTER COLUMN created TYPE timestamp(6);\n");
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out.find("alter-column-type"), std::string::npos) << run.out;
}

// The folder form of the NOT NULL recipe, with the check already validated in the database.
TEST_F(LintDsn, SetNotNullAfterACheckTheDatabaseValidatedIsNotFlagged) {
    db().execute("ALTER TABLE users ADD CONSTRAINT users_name_nn CHECK (name IS NOT NULL) "
                 "NOT VALID");
    const CommandResult pending = lint("ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n");
    EXPECT_EQ(pending.exit_code, 1) << pending.out << pending.err;
    EXPECT_NE(pending.out.find("[set-not-null]"), std::string::npos) << pending.out;
    db().execute("ALTER TABLE users VALIDATE CONSTRAINT users_name_nn");
    const CommandResult validated = lint("ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n");
    EXPECT_EQ(validated.exit_code, 0) << validated.out << validated.err;
    EXPECT_EQ(validated.out.find("set-not-null"), std::string::npos) << validated.out;
}

// The database's primary key tells that the WHERE selects one row; a column that is no key
// leaves lint unable to tell.
TEST_F(LintDsn, AnUpdateByTheDatabasesPrimaryKeyIsNotFlagged) {
    const CommandResult by_key = lint("UPDATE users SET note = 'x' WHERE id = 7;\n");
    EXPECT_EQ(by_key.exit_code, 0) << by_key.out << by_key.err;
    EXPECT_EQ(by_key.out.find("unbatched-update"), std::string::npos) << by_key.out;
    const CommandResult by_name = lint("UPDATE users SET note = 'x' WHERE name = 'ann';\n");
    EXPECT_NE(by_name.out.find("warning: [unbatched-update] UPDATE of users: cannot tell how "
                               "many rows its WHERE selects: no AND-ed term fixes every column"),
              std::string::npos)
        << by_name.out;
}

TEST_F(LintDsn, RewritingChangesSayWhichTypesFromTheCatalog) {
    const CommandResult run = lint("ALTER TABLE users ALTER COLUMN id TYPE bigint;\n");
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_NE(run.out.find("[alter-column-type] changing the type of users.id rewrites users: "
                           "integer to bigint is not binary compatible"),
              std::string::npos)
        << run.out;
}

TEST_F(LintDsn, WithoutTheCatalogTheSameChangeIsAnAssumption) {
    const fs::path file = fs::temp_directory_path() / "pgphase-lint-no-dsn.sql";
    std::ofstream(file, std::ios::binary)
        << "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n";
    const std::string command = std::string(PGPHASE_BINARY) + " lint " + file.string() +
                                " --disable missing-lock-timeout > " + file.string() + ".out";
    const int status = std::system(command.c_str()); // NOLINT(concurrency-mt-unsafe)
    std::ifstream in(file.string() + ".out");
    const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(file);
    fs::remove(file.string() + ".out");
    EXPECT_EQ(WEXITSTATUS(status), 0) << out; // a warning: lint cannot tell
    EXPECT_NE(out.find("warning: [alter-column-type]"), std::string::npos) << out;
    EXPECT_NE(out.find("lint cannot tell: the old type is unknown"), std::string::npos) << out;
}

} // namespace
} // namespace pgphase::testing
