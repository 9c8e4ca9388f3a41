// `pgphase deploy DIR` against a real PostgreSQL and the real binary, as a pipeline runs it:
// a real project's Prisma migrations deployed in two halves under old-app pgbench traffic end
// with the schema a plain apply gives; the history rows are Prisma's; every history refusal
// changes nothing; a second deploy is refused; a conversion that needs a person stops with the
// path of the reviewed plan; the soak guard waits; a plain folder keeps its history in the
// state store; and kill -9 at ten points of a deploy converges.
#include "tests/integration/prisma_support.hpp"
#include "tests/integration/support.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(PGPHASE_SOURCE_DIR) / ".." / "shared" / "corpus" / "prisma";

// Reactive-Resume's first three migrations (corpus 005-007): tables, a table with a unique
// index on a populated table, then an UPDATE of every NULL and SET NOT NULL: direct, phased
// without contract, phased with a contract the old app version would notice.
const std::vector<std::pair<std::string, std::string>> project = {
    {"20231121234455_initialize_tables",
     "005_AmruthPillai__Reactive-Resume__20231121234455_initialize_tables.sql"},
    {"20240505101746_add_statistics_table",
     "006_AmruthPillai__Reactive-Resume__20240505101746_add_statistics_table.sql"},
    {"20240507090221_make_last_signed_in_non_null",
     "007_AmruthPillai__Reactive-Resume__20240507090221_make_last_signed_in_non_null.sql"},
};

std::string pg_bin(const std::string& tool) {
    const char* bin = std::getenv("PGPHASE_TEST_PGBIN");
    return (bin != nullptr && *bin != '\0' ? std::string(bin) + "/" : std::string()) + tool;
}

nlohmann::json json_of(const CommandResult& result) {
    try {
        return nlohmann::json::parse(result.out);
    } catch (const std::exception&) {
        ADD_FAILURE() << "not JSON:\n" << result.out << "\nstderr:\n" << result.err;
        return nlohmann::json::object();
    }
}

class Deploy : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        if (!fs::exists(corpus / project[0].second)) {
            GTEST_SKIP() << "no corpus at " << corpus;
        }
        m_folder = fs::path(dir()) / "prisma" / "migrations";
        fs::create_directories(m_folder);
    }

    // Copies the project's migration `index` into the folder as Prisma names it.
    void add_migration(std::size_t index) {
        fs::create_directories(m_folder / project[index].first);
        fs::copy_file(corpus / project[index].second,
                      m_folder / project[index].first / "migration.sql",
                      fs::copy_options::overwrite_existing);
    }
    void add_migration(const std::string& name, const std::string& sql) {
        fs::create_directories(m_folder / name);
        std::ofstream(m_folder / name / "migration.sql", std::ios::binary) << sql;
    }
    std::string script(std::size_t index) const {
        return (m_folder / project[index].first / "migration.sql").string();
    }

    CommandResult deploy(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"deploy", m_folder.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return pgphase(args);
    }

    // Users with secrets whose lastSignedIn is NULL: what 007 backfills.
    void seed(int users) {
        db().execute("INSERT INTO \"User\" (id, name, username, email, \"updatedAt\", provider) "
                     "SELECT 'u' || i, 'n', 'u' || i, 'e' || i, now(), 'email' "
                     "FROM generate_series(1, " +
                     std::to_string(users) + ") i");
        db().execute("INSERT INTO \"Secrets\" (id, \"userId\") SELECT 's' || i, 'u' || i "
                     "FROM generate_series(1, " +
                     std::to_string(users) + ") i");
    }

    // The public schema as pg_dump writes it, without the history table and pg_dump's random
    // \restrict key.
    std::string schema_dump(const std::string& database_dsn) {
        const CommandResult dump = run_script(
            dir(), pg_bin("pg_dump") + " --schema-only -n public -T public._prisma_migrations " +
                       shell_quote(database_dsn) + " | grep -v '^\\\\\\(un\\)\\?restrict'");
        EXPECT_EQ(dump.exit_code, 0) << dump.out;
        return dump.out;
    }

    // Every row of the history, in a stable order, and the public schema: what a refusal must
    // leave as it was.
    std::string snapshot() {
        std::string out = schema_dump(dsn());
        if (!scalar("SELECT to_regclass('public._prisma_migrations')").empty()) {
            const orchestrator::Rows rows = db().query(
                "SELECT id, checksum, migration_name, coalesce(finished_at::text, 'NULL'), "
                "coalesce(rolled_back_at::text, 'NULL'), applied_steps_count::text "
                "FROM _prisma_migrations ORDER BY migration_name, id");
            for (const auto& row : rows.rows) {
                for (const auto& value : row) {
                    out += value.value_or("NULL") + "|";
                }
                out += "\n";
            }
        }
        return out;
    }

    fs::path m_folder;
};

TEST_F(Deploy, ARealProjectInTwoHalvesUnderOldAppTrafficEndsAsAPlainApplyDoes) {
    add_migration(0);
    add_migration(1);
    const CommandResult first = deploy();
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    EXPECT_NE(first.out.find("applied              20231121234455_initialize_tables (direct"),
              std::string::npos)
        << first.out;
    EXPECT_NE(first.out.find("completed            20240505101746_add_statistics_table (phased"),
              std::string::npos)
        << first.out;
    seed(20000);

    // The old app version: reads and writes secrets, signs users up, never names lastSignedIn
    // in a write (as Prisma Client leaves out a field it does not know).
    const std::string bench = dir() + "/bench_old_app.sql";
    std::ofstream(bench) << "\\set n random(1, 20000)\n"
                            "SELECT id, \"lastSignedIn\" FROM \"Secrets\" WHERE \"userId\" = 'u' "
                            "|| :n;\n"
                            "UPDATE \"Secrets\" SET password = md5(random()::text) WHERE "
                            "\"userId\" = 'u' || :n;\n"
                            "WITH u AS (INSERT INTO \"User\" (id, name, username, email, "
                            "\"updatedAt\", provider) VALUES (gen_random_uuid()::text, 'n', "
                            "gen_random_uuid()::text, gen_random_uuid()::text, now(), 'email') "
                            "RETURNING id) INSERT INTO \"Secrets\" (id, \"userId\") SELECT "
                            "gen_random_uuid()::text, id FROM u;\n";
    const int traffic = spawn_shell("cd " + shell_quote(dir()) + " && exec " + pg_bin("pgbench") +
                                    " -n -c 2 -j 2 -R 40 -T 8 -l --log-prefix=old_app -f " +
                                    shell_quote(bench) + " " + shell_quote(dsn()));

    add_migration(2);
    const CommandResult expand = deploy({"--to", "expand", "--format", "json"});
    ASSERT_EQ(expand.exit_code, 0) << expand.out << expand.err;
    const nlohmann::json expanded = json_of(expand);
    EXPECT_EQ(expanded["result"], "waiting_for_rollout");
    EXPECT_EQ(expanded["migrations"][2]["state"], "expanded");
    EXPECT_EQ(expanded["migrations"][2]["mode"], "phased");
    EXPECT_EQ(scalar("SELECT count(*) FROM \"Secrets\" WHERE \"lastSignedIn\" IS NULL"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM _prisma_migrations WHERE migration_name = '" +
                     project[2].first + "'"),
              "0");

    const CommandResult complete = deploy();
    ASSERT_EQ(complete.exit_code, 0) << complete.out << complete.err;
    EXPECT_NE(complete.out.find("completed            " + project[2].first), std::string::npos)
        << complete.out;
    const auto traffic_exit = wait_for_exit(traffic, std::chrono::seconds(60));
    ASSERT_TRUE(traffic_exit.has_value());
    const std::string traffic_output = spawned_output();
    EXPECT_EQ(*traffic_exit, 0) << traffic_output;
    EXPECT_NE(traffic_output.find("number of failed transactions: 0 "), std::string::npos)
        << traffic_output;
    // The slowest old-app query: waits behind a DDL's lock request last at most its
    // lock_timeout (50 ms) before it gives way; 1 s leaves room for a noisy machine.
    const CommandResult slowest =
        run_script(dir(), "cat old_app.[0-9]* | awk 'BEGIN{m=0} {if ($3>m) m=$3} END{print m}'");
    const long long slowest_us = std::stoll(slowest.out);
    std::cout << "old app: slowest of its transactions " << slowest_us / 1000 << " ms\n";
    EXPECT_LT(slowest_us, 1'000'000) << traffic_output;
    EXPECT_EQ(scalar("SELECT count(*) FROM \"Secrets\" WHERE \"lastSignedIn\" IS NULL"), "0");

    // The same files applied plainly, one transaction each, give the same schema.
    const std::string plain = "deploy_plain_" + std::to_string(::getpid());
    db().execute("DROP DATABASE IF EXISTS " + plain);
    db().execute("CREATE DATABASE " + plain);
    const std::string plain_dsn = with_database(dsn(), plain);
    for (std::size_t i = 0; i < project.size(); ++i) {
        const CommandResult applied =
            run_script(dir(), pg_bin("psql") + " -X -q -v ON_ERROR_STOP=1 -1 -f " +
                                  shell_quote(script(i)) + " " + shell_quote(plain_dsn));
        ASSERT_EQ(applied.exit_code, 0) << applied.out;
    }
    EXPECT_EQ(schema_dump(dsn()), schema_dump(plain_dsn));
    db().execute("DROP DATABASE " + plain);

    // Nothing is left to do, and saying so is exit 0.
    const CommandResult again = deploy();
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_NE(again.out.find("\ndone\n"), std::string::npos) << again.out;
}

TEST_F(Deploy, TheHistoryRowsArePrismasWithTheFilesSha256) {
    for (std::size_t i = 0; i < project.size(); ++i) {
        add_migration(i);
    }
    ASSERT_EQ(deploy({"--to", "expand"}).exit_code, 0);
    ASSERT_EQ(deploy().exit_code, 0);
    EXPECT_EQ(prisma_table_layout(db()), prisma_layout);
    const orchestrator::Rows rows =
        db().query("SELECT migration_name, checksum, length(id)::text, "
                   "(id ~ '^[0-9a-f-]{36}$')::text, quote_nullable(logs), "
                   "quote_nullable(rolled_back_at), applied_steps_count::text, "
                   "(finished_at >= started_at)::text FROM _prisma_migrations "
                   "ORDER BY migration_name");
    ASSERT_EQ(rows.rows.size(), project.size());
    for (std::size_t i = 0; i < project.size(); ++i) {
        // As prisma migrate deploy leaves a row once the script ran: logs NULL, one step.
        EXPECT_EQ(rows.text(i, 0), project[i].first);
        EXPECT_EQ(rows.text(i, 1) + "\n", sha256sum(script(i)).substr(0, 64) + "\n");
        EXPECT_EQ(rows.text(i, 2), "36");
        EXPECT_EQ(rows.text(i, 3), "true");
        EXPECT_EQ(rows.text(i, 4), "NULL");
        EXPECT_EQ(rows.text(i, 5), "NULL");
        EXPECT_EQ(rows.text(i, 6), "1");
        EXPECT_EQ(rows.text(i, 7), "true");
    }
}

TEST_F(Deploy, EveryHistoryRefusalChangesNothing) {
    add_migration(0);
    add_migration(1);
    ASSERT_EQ(deploy().exit_code, 0);
    add_migration(2);
    const std::string before = snapshot();
    const std::string original = read_file(script(1));

    // A file changed after it was applied.
    std::ofstream(script(1), std::ios::app) << "\n-- edited after deploy\n";
    CommandResult refused = deploy({"--format", "json"});
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_EQ(json_of(refused)["problems"][0]["kind"], "modified");
    EXPECT_EQ(snapshot(), before);
    std::ofstream(script(1), std::ios::binary | std::ios::trunc) << original;

    // A pending migration that sorts before an applied one.
    add_migration("20231201000000_late_branch", "CREATE TABLE late (id int);\n");
    refused = deploy();
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_NE(refused.out.find("out of order"), std::string::npos) << refused.out;
    EXPECT_EQ(snapshot(), before);
    fs::remove_all(m_folder / "20231201000000_late_branch");

    // An applied migration missing from the folder.
    const fs::path aside = fs::path(dir()) / "aside";
    fs::rename(m_folder / project[1].first, aside);
    refused = deploy();
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_NE(refused.out.find("missing from"), std::string::npos) << refused.out;
    EXPECT_EQ(snapshot(), before);
    fs::rename(aside, m_folder / project[1].first);

    // A failed attempt of Prisma's own.
    db().execute("INSERT INTO _prisma_migrations (id, checksum, migration_name, logs) VALUES "
                 "('00000000-0000-4000-8000-000000000000', 'x', '" +
                 project[2].first + "', 'ERROR: boom')");
    const std::string with_failure = snapshot();
    refused = deploy();
    EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
    EXPECT_NE(refused.out.find("npx prisma migrate resolve --rolled-back \"" + project[2].first),
              std::string::npos)
        << refused.out;
    EXPECT_EQ(snapshot(), with_failure);

    // Resolved as Prisma would, the deploy goes on.
    db().execute("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE checksum = 'x'");
    EXPECT_EQ(deploy({"--to", "expand"}).exit_code, 0);
}

TEST_F(Deploy, ASecondDeployIsRefusedNamingTheFirst) {
    add_migration(0);
    auto holder = connect("pipeline run 1");
    holder->query("SELECT pg_advisory_lock(hashtextextended('pgphase deploy', 0))");
    const CommandResult refused = deploy();
    EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("another deploy is running on this database: backend pid"),
              std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("\"pipeline run 1\""), std::string::npos) << refused.err;
    EXPECT_EQ(scalar("SELECT to_regclass('public._prisma_migrations')"), "");
    holder.reset();
    EXPECT_EQ(deploy().exit_code, 0);
}

TEST_F(Deploy, AConversionThatNeedsAPersonStopsWithWhereTheReviewedPlanBelongs) {
    add_migration(0);
    ASSERT_EQ(deploy().exit_code, 0);
    seed(100);
    add_migration("20240601000000_add_plan", "-- AlterTable\nALTER TABLE \"User\" ADD COLUMN "
                                             "\"plan\" TEXT NOT NULL;\n");
    const CommandResult refused = deploy();
    EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
    const std::string reviewed = (m_folder / "20240601000000_add_plan" / "pgphase.yaml").string();
    EXPECT_NE(refused.out.find("save it as " + reviewed), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("# TODO"), std::string::npos) << refused.out;
    EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'User' "
                     "AND column_name = 'plan'"),
              "0");

    // The reviewed plan, written once and committed, is what runs.
    std::ofstream(reviewed) << "name: add_plan\n"
                               "changes:\n"
                               "  - add_column:\n"
                               "      table: User\n"
                               "      column: {name: plan, type: text, nullable: false}\n"
                               "      up: \"'free'\"\n";
    const CommandResult expand = deploy({"--to", "expand"});
    ASSERT_EQ(expand.exit_code, 0) << expand.out << expand.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM \"User\" WHERE plan = 'free'"), "100");
    const CommandResult complete = deploy();
    EXPECT_EQ(complete.exit_code, 0) << complete.out << complete.err;
    EXPECT_EQ(scalar("SELECT attnotnull::text FROM pg_attribute WHERE attrelid = "
                     "'\"User\"'::regclass AND attname = 'plan'"),
              "true");
    EXPECT_EQ(scalar("SELECT count(*) FROM _prisma_migrations WHERE migration_name = "
                     "'20240601000000_add_plan' AND finished_at IS NOT NULL"),
              "1");
}

// A conversion that keeps a statement lint reports at error level as SQL would run it as
// written: deploy refuses it for review instead (a table renamed, then its constraint).
TEST_F(Deploy, AConversionThatKeepsARiskyStatementAsSqlIsRefusedForReview) {
    // Prisma's way to change ON DELETE: drop the foreign key and add it again under its name.
    // The pair stays SQL (pgphase drops at contract), and lint reports the ADD as an error.
    add_migration("1_init", "CREATE TABLE \"Org\" (id int PRIMARY KEY, name text);\n"
                            "CREATE TABLE \"Member\" (id int PRIMARY KEY, \"orgId\" int NOT NULL "
                            "CONSTRAINT \"Member_orgId_fkey\" REFERENCES \"Org\"(id));\n");
    add_migration("2_cascade",
                  "-- DropForeignKey\nALTER TABLE \"Member\" DROP CONSTRAINT "
                  "\"Member_orgId_fkey\";\n\n-- AddForeignKey\nALTER TABLE \"Member\" ADD "
                  "CONSTRAINT \"Member_orgId_fkey\" FOREIGN KEY (\"orgId\") REFERENCES "
                  "\"Org\"(\"id\") ON DELETE CASCADE ON UPDATE CASCADE;\n");
    const CommandResult refused = deploy({"--format", "json"});
    EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
    const nlohmann::json report = json_of(refused);
    EXPECT_EQ(report["result"], "needs_review");
    const nlohmann::json& migration = report["migrations"][1];
    EXPECT_EQ(migration["state"], "needs_review");
    EXPECT_NE(migration["error"].get<std::string>().find("keeps line 5 as SQL"), std::string::npos)
        << migration["error"];
    EXPECT_NE(migration["plan"].get<std::string>().find("- sql:"), std::string::npos);
    EXPECT_EQ(scalar("SELECT confdeltype FROM pg_constraint WHERE conname = 'Member_orgId_fkey'"),
              "a")
        << "nothing ran";
}

TEST_F(Deploy, TheSoakGuardSaysFromWhenContractIsAllowed) {
    add_migration(0);
    add_migration(1);
    ASSERT_EQ(deploy().exit_code, 0);
    seed(50);
    add_migration(2);
    ASSERT_EQ(deploy({"--to", "expand"}).exit_code, 0);
    const CommandResult waiting = deploy({"--min-soak", "1h", "--format", "json"});
    EXPECT_EQ(waiting.exit_code, 3) << waiting.out << waiting.err;
    const nlohmann::json report = json_of(waiting);
    EXPECT_EQ(report["result"], "waiting_for_soak");
    EXPECT_EQ(report["migrations"][2]["state"], "waiting_for_soak");
    EXPECT_FALSE(report["migrations"][2]["allowed_at"].get<std::string>().empty());
    EXPECT_EQ(scalar("SELECT count(*) FROM _prisma_migrations"), "2");

    const CommandResult forced = deploy({"--min-soak", "1h", "--force"});
    EXPECT_EQ(forced.exit_code, 0) << forced.out << forced.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM _prisma_migrations"), "3");
}

TEST_F(Deploy, WithoutRolloutStepTheDefaultTargetStopsAtTheBoundaryWithExit3) {
    add_migration(0);
    ASSERT_EQ(deploy().exit_code, 0);
    seed(50);
    add_migration(2);
    add_migration("20240601000000_after", "CREATE TABLE after_it (id int);\n");
    const CommandResult stopped = deploy({"--format", "json"});
    EXPECT_EQ(stopped.exit_code, 3) << stopped.out << stopped.err;
    const nlohmann::json report = json_of(stopped);
    EXPECT_EQ(report["result"], "waiting_for_rollout");
    EXPECT_EQ(report["migrations"][1]["state"], "waiting_for_rollout");
    EXPECT_EQ(report["migrations"][2]["state"], "waiting");
    EXPECT_EQ(scalar("SELECT to_regclass('after_it')"), "");
    const CommandResult next = deploy();
    EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
    EXPECT_EQ(scalar("SELECT to_regclass('after_it')::text"), "after_it");
}

// Prisma runs a script in the URL's ?schema=, creating it when missing: so does deploy, and
// the history goes there too.
TEST_F(Deploy, APrismaUrlsSchemaIsWhereTheMigrationsAndTheirHistoryGo) {
    ASSERT_EQ(dsn().rfind("postgresql://", 0), 0U) << "the test needs a URL DSN";
    add_migration(0);
    const std::string url =
        dsn() + (dsn().find('?') == std::string::npos ? "?" : "&") + "schema=tenant_1";
    const CommandResult applied = run_pgphase({"deploy", m_folder.string(), "--dsn", url}, dir());
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    EXPECT_EQ(scalar("SELECT to_regclass('tenant_1.\"User\"')::text"), "tenant_1.\"User\"");
    EXPECT_EQ(scalar("SELECT to_regclass('public.\"User\"')"), "");
    EXPECT_EQ(scalar("SELECT count(*) FROM tenant_1._prisma_migrations"), "1");
}

TEST_F(Deploy, APlainFolderKeepsItsHistoryInTheStateStore) {
    m_folder = fs::path(dir()) / "sql";
    fs::create_directories(m_folder);
    std::ofstream(m_folder / "001_init.sql") << "BEGIN;\nCREATE TABLE t (id int PRIMARY KEY);\n"
                                                "COMMIT;\n";
    std::ofstream(m_folder / "002_index.sql") << "CREATE INDEX t_id_idx ON t (id);\n";
    const CommandResult dry = deploy({"--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
    EXPECT_EQ(scalar("SELECT to_regclass('t')"), "");
    EXPECT_EQ(scalar("SELECT to_regnamespace('pgphase')"), "");

    const CommandResult first = deploy();
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    const orchestrator::Rows rows =
        db().query("SELECT name, checksum, applied_as FROM pgphase.deploy_history ORDER BY name");
    ASSERT_EQ(rows.rows.size(), 2U);
    EXPECT_EQ(rows.text(0, 0), "001_init");
    EXPECT_EQ(rows.text(0, 1), sha256sum((m_folder / "001_init.sql").string()).substr(0, 64));
    EXPECT_EQ(rows.text(0, 2), "direct");
    EXPECT_EQ(rows.text(1, 2), "phased");
    std::ofstream(m_folder / "001_init.sql", std::ios::app) << "-- changed\n";
    EXPECT_EQ(deploy().exit_code, 2);
}

TEST_F(Deploy, KilledAtTenPointsItConvergesToTheSameSchemaAndRows) {
    add_migration(0);
    ASSERT_EQ(deploy().exit_code, 0);
    seed(3000);
    add_migration(1);
    add_migration(2);
    add_migration("20240601000000_after", "CREATE TABLE after_it (id int);\n");
    // A small batch makes the backfill long enough to be killed inside it.
    const std::string template_db = "deploy_kill_template_" + std::to_string(::getpid());
    db().execute("DROP DATABASE IF EXISTS " + template_db);
    db().execute("CREATE DATABASE " + template_db + " TEMPLATE " +
                 scalar("SELECT current_database()"));
    std::string reference;
    int killed_running = 0;
    for (int point = 0; point < 10; ++point) {
        const std::string name = "deploy_kill_" + std::to_string(point);
        db().execute("DROP DATABASE IF EXISTS " + name);
        db().execute("CREATE DATABASE " + name + " TEMPLATE " + template_db);
        const std::string target = with_database(dsn(), name);
        const std::vector<std::string> args = {"deploy", m_folder.string(), "--dsn", target};
        const int pid =
            spawn_shell("exec " + std::string(PGPHASE_BINARY) + " deploy " +
                        shell_quote(m_folder.string()) + " --dsn " + shell_quote(target));
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + 40 * point));
        ::kill(pid, SIGKILL);
        killed_running += wait_for_exit(pid, std::chrono::seconds(10)) == 128 + SIGKILL ? 1 : 0;
        // A pipeline reruns it, and again after the rollout it was waiting for.
        int code = -1;
        for (int run = 0; run < 4 && code != 0; ++run) {
            code = run_pgphase(args, dir()).exit_code;
        }
        ASSERT_EQ(code, 0) << "killed after " << 30 + 40 * point << " ms";
        const std::string state =
            schema_dump(target) +
            run_script(dir(), pg_bin("psql") +
                                  " -X -At -c \"SELECT migration_name, "
                                  "count(*) FILTER (WHERE finished_at IS NOT "
                                  "NULL), count(*) FROM _prisma_migrations GROUP "
                                  "BY 1 ORDER BY 1\" -c \"SELECT count(*), "
                                  "count(\\\"lastSignedIn\\\") FROM \\\"Secrets\\\"\" " +
                                  shell_quote(target))
                .out;
        if (reference.empty()) {
            reference = state;
            EXPECT_NE(reference.find("3000|3000"), std::string::npos) << reference;
        }
        EXPECT_EQ(state, reference) << "killed after " << 30 + 40 * point << " ms";
        db().execute("DROP DATABASE " + name);
    }
    db().execute("DROP DATABASE " + template_db);
    // Most points must land inside the run, not after it.
    EXPECT_GE(killed_running, 6);
}

} // namespace
} // namespace pgphase::testing
