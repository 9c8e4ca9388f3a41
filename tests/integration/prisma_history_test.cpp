// `complete --prisma-migration` against a real PostgreSQL and the real binary: the row in
// `_prisma_migrations` is the one `prisma migrate resolve --applied` writes (checksum compared
// with sha256sum, table layout compared with Prisma's DDL), a rerun inserts nothing, a row for
// another script stops complete before contract, earlier failed attempts are marked rolled
// back, and the advance, plan-field and `?schema=` paths record it too. With
// PGPHASE_PRISMA_CLI set, the real Prisma CLI checks it as well.
#include "tests/integration/prisma_support.hpp"
#include "tests/integration/support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

const char* rename_plan = R"(
name: rename_user_email
settings:
  lock_timeout: 1s
  lock_retries: 3
changes:
  - rename_column: {table: User, from: email, to: emailAddress}
)";

constexpr const char* prisma_name = "20261125093000_rename_user_email";

// What prisma migrate dev --create-only writes for the rename (CRLF: a Windows checkout).
constexpr const char* prisma_sql =
    "-- AlterTable\r\nALTER TABLE \"User\" RENAME COLUMN \"email\" TO \"emailAddress\";\r\n";

const char* prisma_ddl = R"(CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
))";

class PrismaHistory : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE \"User\" (id serial PRIMARY KEY, email text NOT NULL)");
        db().execute("INSERT INTO \"User\" (email) SELECT 'u' || i || '@example.com' "
                     "FROM generate_series(1, 300) i");
        m_plan = write_plan("rename", rename_plan);
        m_root = fs::path(m_plan).parent_path();
        m_migration = m_root / "prisma" / "migrations" / prisma_name;
        fs::create_directories(m_migration);
        std::ofstream(m_migration / "migration.sql", std::ios::binary) << prisma_sql;
    }

    void expect_ok(const CommandResult& result) {
        EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    }

    void start_and_backfill() {
        expect_ok(pgphase({"start", m_plan}));
        expect_ok(pgphase({"backfill", m_plan}));
    }

    std::string rows_for(const std::string& name = prisma_name) {
        return scalar("SELECT count(*) FROM public._prisma_migrations WHERE migration_name = '" +
                      name + "'");
    }

    std::string phase() {
        return scalar("SELECT phase FROM pgphase.migrations WHERE name = 'rename_user_email'");
    }

    std::string events(const std::string& event) {
        return scalar("SELECT count(*) FROM pgphase.events WHERE event = '" + event + "'");
    }

    std::string m_plan;
    fs::path m_root;
    fs::path m_migration;
};

TEST_F(PrismaHistory, CompleteWritesTheRowPrismaResolveAppliedWrites) {
    start_and_backfill();
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(phase(), "completed");

    // The table, created because it did not exist, is Prisma's column for column.
    const std::string layout = prisma_table_layout(db());
    EXPECT_EQ(layout, prisma_layout);
    EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) || ' ' || conname FROM pg_constraint "
                     "WHERE conrelid = 'public._prisma_migrations'::regclass AND contype = 'p'"),
              "PRIMARY KEY (id) _prisma_migrations_pkey");

    // The row: checksum is sha256sum of the file's bytes (CRLF kept), as resolve --applied.
    const std::string expected = sha256sum((m_migration / "migration.sql").string());
    ASSERT_EQ(expected.size(), 64U);
    const orchestrator::Rows row =
        db().query("SELECT checksum, length(id), id ~ '^[0-9a-f-]{36}$', finished_at IS NOT NULL, "
                   "finished_at = started_at, logs, rolled_back_at IS NULL, applied_steps_count "
                   "FROM public._prisma_migrations WHERE migration_name = $1",
                   {std::string(prisma_name)});
    ASSERT_EQ(row.rows.size(), 1U);
    EXPECT_EQ(row.text(0, 0), expected);
    EXPECT_EQ(row.text(0, 1), "36");
    EXPECT_EQ(row.text(0, 2), "t");
    EXPECT_EQ(row.text(0, 3), "t");
    EXPECT_EQ(row.text(0, 4), "t");
    ASSERT_TRUE(row.at(0, 5).has_value()); // '' as Prisma writes it, not NULL
    EXPECT_EQ(row.text(0, 5), "");
    EXPECT_EQ(row.text(0, 6), "t");
    EXPECT_EQ(row.text(0, 7), "0");

    // In the event log, in the transaction that completed the migration.
    EXPECT_EQ(events("prisma.recorded"), "1");
    EXPECT_EQ(scalar("SELECT detail->>'checksum' FROM pgphase.events "
                     "WHERE event = 'prisma.recorded'"),
              expected);
}

TEST_F(PrismaHistory, RerunningCompleteDoesNotInsertTwice) {
    start_and_backfill();
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()}));
    const std::string id = scalar("SELECT id FROM public._prisma_migrations");
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string() + "/"}));
    EXPECT_EQ(rows_for(), "1");
    EXPECT_EQ(scalar("SELECT id FROM public._prisma_migrations"), id);
    EXPECT_EQ(events("prisma.already_recorded"), "1");
}

TEST_F(PrismaHistory, ACompleteRunWithoutTheFlagCanRecordItLater) {
    start_and_backfill();
    expect_ok(pgphase({"complete", m_plan}));
    EXPECT_EQ(scalar("SELECT to_regclass('public._prisma_migrations') IS NULL"), "t");
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(rows_for(), "1");
}

TEST_F(PrismaHistory, ARowForAnotherScriptStopsCompleteBeforeContract) {
    db().execute(prisma_ddl);
    const std::string other(64, 'f');
    db().execute("INSERT INTO _prisma_migrations (id, checksum, logs, started_at, finished_at, "
                 "migration_name) VALUES ('11111111-1111-4111-8111-111111111111', '" +
                 other + "', '', now(), now(), '" + prisma_name + "')");
    start_and_backfill();
    const CommandResult result =
        pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()});
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_NE(result.err.find("already recorded as applied"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(other), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(sha256sum((m_migration / "migration.sql").string())),
              std::string::npos)
        << result.err;
    EXPECT_EQ(phase(), "backfilled"); // contract has not run
    EXPECT_EQ(rows_for(), "1");
}

TEST_F(PrismaHistory, AScriptRecordedWithOtherLineEndingsCountsAsRecorded) {
    // Prisma accepts a checksum of the script with CRLF made LF: so does pgphase.
    db().execute(prisma_ddl);
    db().execute("INSERT INTO _prisma_migrations (id, checksum, logs, started_at, finished_at, "
                 "migration_name) SELECT 'aaaaaaaa-1111-4111-8111-111111111111', "
                 "encode(sha256(convert_to(replace($$" +
                 std::string(prisma_sql) +
                 "$$, E'\\r\\n', E'\\n'), 'UTF8')), 'hex'), '', now(), "
                 "now(), '" +
                 prisma_name + "'");
    start_and_backfill();
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(rows_for(), "1");
    EXPECT_EQ(events("prisma.already_recorded"), "1");
}

TEST_F(PrismaHistory, AFailedAttemptIsMarkedRolledBackAsResolveAppliedDoes) {
    db().execute(prisma_ddl);
    db().execute("INSERT INTO _prisma_migrations (id, checksum, logs, started_at, "
                 "migration_name) VALUES ('22222222-1111-4111-8111-111111111111', '" +
                 std::string(64, 'e') + "', 'lock timeout', now(), '" + prisma_name + "')");
    start_and_backfill();
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(rows_for(), "2");
    EXPECT_EQ(scalar("SELECT rolled_back_at IS NOT NULL FROM _prisma_migrations "
                     "WHERE id = '22222222-1111-4111-8111-111111111111'"),
              "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL "
                     "AND rolled_back_at IS NULL"),
              "1");
}

TEST_F(PrismaHistory, AdvanceRecordsItOnlyWhenItCompletes) {
    expect_ok(pgphase(
        {"advance", m_plan, "--to", "backfill", "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(phase(), "expanded"); // the rename is catalog-only: nothing to backfill
    EXPECT_EQ(scalar("SELECT to_regclass('public._prisma_migrations') IS NULL"), "t");
    expect_ok(pgphase(
        {"advance", m_plan, "--to", "complete", "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(phase(), "completed");
    EXPECT_EQ(rows_for(), "1");
    expect_ok(pgphase({"advance", m_plan, "--prisma-migration", m_migration.string()}));
    EXPECT_EQ(rows_for(), "1");
}

TEST_F(PrismaHistory, ThePlanFieldIsResolvedAgainstThePlanFile) {
    const fs::path deploy = m_root / "deploy";
    fs::create_directories(deploy);
    const std::string plan = (deploy / "rename.yaml").string();
    std::ofstream(plan, std::ios::binary)
        << rename_plan << "prisma_migration: ../prisma/migrations/" << prisma_name << "\n";
    expect_ok(pgphase({"advance", plan}));
    EXPECT_EQ(phase(), "completed");
    EXPECT_EQ(rows_for(), "1");
    EXPECT_EQ(scalar("SELECT checksum FROM _prisma_migrations"),
              sha256sum((m_migration / "migration.sql").string()));
}

TEST_F(PrismaHistory, AMissingMigrationDirectoryIsBadInputAndRunsNothing) {
    start_and_backfill();
    const CommandResult result =
        pgphase({"complete", m_plan, "--prisma-migration", (m_root / "nope").string()});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("not a Prisma migration directory"), std::string::npos) << result.err;
    EXPECT_EQ(phase(), "backfilled");
}

TEST_F(PrismaHistory, AdvanceRefusesAMissingMigrationDirectoryBeforeExpand) {
    const CommandResult result = pgphase(
        {"advance", m_plan, "--to", "backfill", "--prisma-migration", (m_root / "typo").string()});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("not a Prisma migration directory"), std::string::npos) << result.err;
    EXPECT_EQ(phase(), ""); // nothing started
}

TEST_F(PrismaHistory, ThePrismaUrlsSchemaParameterChoosesTheHistorysSchema) {
    start_and_backfill();
    // Prisma keeps its history in the schema its URL names; pgphase reads the same parameter.
    const std::string url = dsn() + (dsn().find('?') == std::string::npos ? "?" : "&") +
                            "schema=app&connection_limit=3";
    const std::string command = std::string("'") + PGPHASE_BINARY + "' complete '" + m_plan +
                                "' --prisma-migration '" + m_migration.string() + "' --dsn '" +
                                url + "' >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
    EXPECT_EQ(scalar("SELECT count(*) FROM app._prisma_migrations"), "1");
    EXPECT_EQ(scalar("SELECT to_regclass('public._prisma_migrations') IS NULL"), "t");
}

// End to end with the real Prisma CLI when PGPHASE_PRISMA_CLI names one (scripts/prisma-cli.sh
// installs it): Prisma 6 with its JavaScript schema engine and @prisma/adapter-pg, native engine
// paths pointed at a dummy file so nothing is downloaded. `prisma migrate status` must find the
// database up to date after pgphase recorded the migration, and the row and table Prisma's own
// `migrate resolve --applied` writes in a second database must equal pgphase's.
TEST_F(PrismaHistory, RealPrismaCliAgreesWithTheRecordedRow) {
    const char* cli = std::getenv("PGPHASE_PRISMA_CLI");
    if (cli == nullptr || *cli == '\0') {
        GTEST_SKIP()
            << "PGPHASE_PRISMA_CLI is not set (PGPHASE_PRISMA_CLI=$(scripts/prisma-cli.sh) "
               "runs this test); the row is checked against Prisma's source layout by "
               "the other tests";
    }
    const fs::path prisma = m_root / "prisma";
    std::ofstream(prisma / "schema.prisma", std::ios::binary)
        << "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n"
           "model User {\n  id           Int    @id @default(autoincrement())\n"
           "  emailAddress String\n}\n";
    std::ofstream(prisma / "migrations" / "migration_lock.toml", std::ios::binary)
        << "provider = \"postgresql\"\n";
    std::ofstream(m_root / "prisma.config.ts", std::ios::binary)
        << "import { defineConfig } from 'prisma/config'\n"
           "import { PrismaPg } from '@prisma/adapter-pg'\n"
           "export default defineConfig({\n"
           "  experimental: { adapter: true },\n"
           "  schema: 'prisma/schema.prisma',\n"
           "  engine: 'js',\n"
           "  async adapter() { return new PrismaPg({ connectionString: "
           "process.env.DATABASE_URL }) },\n"
           "})\n";
    // The config imports from the CLI's node_modules.
    fs::create_directory_symlink(fs::path(cli).parent_path().parent_path(),
                                 m_root / "node_modules");
    std::ofstream(m_root / "no-engine") << "";

    const std::string url = dsn();
    const auto query = url.find('?');
    const std::string base = url.substr(0, query);
    const std::string second_db = scalar("SELECT current_database()") + "_resolve";
    const std::string second_url = base.substr(0, base.rfind('/') + 1) + second_db +
                                   (query == std::string::npos ? "" : url.substr(query));
    auto run = [&](const std::string& database_url, const std::string& args) {
        const std::string engine = (m_root / "no-engine").string();
        const std::string command = "cd '" + m_root.string() + "' && DATABASE_URL='" +
                                    database_url + "' PRISMA_QUERY_ENGINE_LIBRARY='" + engine +
                                    "' PRISMA_SCHEMA_ENGINE_BINARY='" + engine +
                                    "' PRISMA_HIDE_UPDATE_MESSAGE=1 timeout 120 '" + cli + "' " +
                                    args + " >'" + (m_root / "prisma.out").string() + "' 2>&1";
        const int status = std::system(command.c_str());
        std::ifstream in(m_root / "prisma.out");
        std::ostringstream text;
        text << in.rdbuf();
        return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str());
    };

    const auto before = run(url, "migrate status");
    EXPECT_NE(before.first, 0) << before.second;
    EXPECT_NE(before.second.find("have not yet been applied"), std::string::npos) << before.second;

    start_and_backfill();
    expect_ok(pgphase({"complete", m_plan, "--prisma-migration", m_migration.string()}));
    const auto after = run(url, "migrate status");
    EXPECT_EQ(after.first, 0) << after.second;
    EXPECT_NE(after.second.find("Database schema is up to date"), std::string::npos)
        << after.second;

    db().execute("DROP DATABASE IF EXISTS \"" + second_db + "\"");
    db().execute("CREATE DATABASE \"" + second_db + "\"");
    const auto resolved = run(second_url, std::string("migrate resolve --applied ") + prisma_name);
    EXPECT_EQ(resolved.first, 0) << resolved.second;
    auto describe = [](orchestrator::Session& session) {
        std::string out;
        const orchestrator::Rows rows = session.query(
            "SELECT 'row', length(id)::text, checksum, (finished_at = started_at)::text, "
            "quote_nullable(logs), quote_nullable(rolled_back_at), applied_steps_count::text, "
            "migration_name FROM _prisma_migrations UNION ALL "
            "SELECT 'column', column_name, data_type, coalesce(character_maximum_length, 0)::text, "
            "is_nullable, coalesce(column_default, ''), ordinal_position::text, '' "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = '_prisma_migrations' UNION ALL "
            "SELECT 'constraint', conname, pg_get_constraintdef(oid), '', '', '', '', '' "
            "FROM pg_constraint WHERE conrelid = 'public._prisma_migrations'::regclass "
            "ORDER BY 1, 7, 2");
        for (std::size_t i = 0; i < rows.rows.size(); ++i) {
            for (std::size_t c = 0; c < 8; ++c) {
                out += rows.text(i, c) + (c == 7 ? "\n" : "|");
            }
        }
        return out;
    };
    std::string by_prisma;
    {
        orchestrator::Session second(orchestrator::Dsn(second_url), "test");
        by_prisma = describe(second);
    }
    db().execute("DROP DATABASE IF EXISTS \"" + second_db + "\"");
    EXPECT_EQ(describe(db()), by_prisma);
    EXPECT_NE(by_prisma.find(sha256sum((m_migration / "migration.sql").string())),
              std::string::npos)
        << by_prisma;
}

// The new app version on Prisma Client (query compiler, @prisma/adapter-pg with `schema` set to
// the version schema) writes and reads the renamed field through the views while the old
// version's column gets the same values; needs PGPHASE_PRISMA_CLI as above.
TEST_F(PrismaHistory, RealPrismaClientWritesThroughTheVersionSchema) {
    const char* cli = std::getenv("PGPHASE_PRISMA_CLI");
    if (cli == nullptr || *cli == '\0') {
        GTEST_SKIP()
            << "PGPHASE_PRISMA_CLI is not set (PGPHASE_PRISMA_CLI=$(scripts/prisma-cli.sh) "
               "runs this test)";
    }
    const fs::path modules = fs::path(cli).parent_path().parent_path();
    if (!fs::exists(modules / "@prisma" / "client")) {
        GTEST_SKIP() << "@prisma/client is not installed beside " << cli
                     << "; rerun scripts/prisma-cli.sh";
    }
    const fs::path prisma = m_root / "prisma";
    std::ofstream(prisma / "schema.prisma", std::ios::binary)
        << "generator client {\n  provider        = \"prisma-client-js\"\n"
           "  previewFeatures = [\"driverAdapters\", \"queryCompiler\"]\n"
           "  engineType      = \"client\"\n}\n"
           "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n"
           "model User {\n  id           Int    @id @default(autoincrement())\n"
           "  emailAddress String\n}\n";
    std::ofstream(m_root / "app.js", std::ios::binary)
        << "const { PrismaClient } = require('@prisma/client')\n"
           "const { PrismaPg } = require('@prisma/adapter-pg')\n"
           "const adapter = new PrismaPg({ connectionString: process.env.DATABASE_URL },\n"
           "                             { schema: process.argv[2] })\n"
           "const prisma = new PrismaClient({ adapter })\n"
           ";(async () => {\n"
           "  const created = await prisma.user.create({ data: { emailAddress: 'new@x' } })\n"
           "  const updated = await prisma.user.update({ where: { id: created.id },\n"
           "                                            data: { emailAddress: 'new2@x' } })\n"
           "  const count = await prisma.user.count()\n"
           "  console.log(JSON.stringify({ id: created.id, email: updated.emailAddress, count }))\n"
           "  await prisma.$disconnect()\n"
           "})().catch((e) => { console.error(String(e)); process.exit(1) })\n";
    fs::create_directory_symlink(modules, m_root / "node_modules");
    std::ofstream(m_root / "no-engine") << "";
    auto run = [&](const std::string& command) {
        const std::string engine = (m_root / "no-engine").string();
        const std::string full =
            "cd '" + m_root.string() + "' && DATABASE_URL='" + dsn() +
            "' PRISMA_QUERY_ENGINE_LIBRARY='" + engine + "' PRISMA_SCHEMA_ENGINE_BINARY='" +
            engine + "' PRISMA_HIDE_UPDATE_MESSAGE=1 timeout 120 " + command + " >'" +
            (m_root / "out").string() + "' 2>'" + (m_root / "err").string() + "'";
        const int status = std::system(full.c_str());
        std::ifstream out(m_root / "out");
        std::ifstream err(m_root / "err");
        std::ostringstream text;
        text << out.rdbuf() << err.rdbuf();
        return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str());
    };
    const auto generated = run("'" + std::string(cli) + "' generate --schema prisma/schema.prisma");
    ASSERT_EQ(generated.first, 0) << generated.second;

    start_and_backfill();
    const auto written = run("node app.js public_rename_user_email");
    ASSERT_EQ(written.first, 0) << written.second;
    const auto line = written.second.substr(0, written.second.find('\n'));
    const nlohmann::json result = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(result.is_discarded()) << written.second;
    EXPECT_EQ(result["email"], "new2@x");
    EXPECT_EQ(result["count"], 301);
    // The old app version reads the same row under the old name.
    EXPECT_EQ(scalar("SELECT email FROM public.\"User\" WHERE id = " +
                     std::to_string(result["id"].get<int>())),
              "new2@x");
}

} // namespace
} // namespace pgphase::testing
