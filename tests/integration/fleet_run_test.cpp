// `advance --fleet` on two real PostgreSQL servers with four databases each (8 targets): a
// lock held on one target ends the run with exit 4 and leaves the others intact, a rerun after
// it is released finishes them all; two runners started together complete every target once;
// a failed canary leaves every other target untouched.
#include "tests/integration/support.hpp"

#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace pgphase::testing {
namespace {

using orchestrator::Dsn;
using orchestrator::Session;

const char* rename_plan = R"(
name: rename_users_email
settings:
  lock_timeout: 100ms
  lock_retries: 2
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)";

constexpr int rows_per_target = 2000;

class FleetRun : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        const char* second = std::getenv("PGPHASE_TEST_DSN_2");
        if (second == nullptr || *second == '\0') {
            const char* ci = std::getenv("CI");
            if (ci != nullptr && std::string(ci) == "true") {
                FAIL() << "PGPHASE_TEST_DSN_2 is not set; in CI the fleet tests run on two "
                          "servers (scripts/with-postgres.sh --servers 2)";
            }
            GTEST_SKIP() << "PGPHASE_TEST_DSN_2 is not set; run through "
                            "scripts/with-postgres.sh --servers 2";
        }
        const char* first = std::getenv("PGPHASE_TEST_DSN");
        m_servers = {first, second};
        m_admins.push_back(std::make_unique<Session>(Dsn(first), "fleet test admin 1"));
        m_admins.push_back(std::make_unique<Session>(Dsn(second), "fleet test admin 2"));
        // Target 0 is this test's own database; the others are made here. Test databases'
        // names are as long as they may be, so these get short names of their own.
        const std::string tag = std::to_string(getpid());
        for (int i = 0; i < 8; ++i) {
            const int server = i / 4;
            const std::string name = std::string("s") + std::to_string(server + 1) + "-" +
                                     static_cast<char>('a' + i % 4);
            std::string target_dsn = dsn();
            if (i != 0) {
                const std::string database = "fleet_" + tag + "_" + std::to_string(i);
                m_admins[static_cast<std::size_t>(server)]->execute("CREATE DATABASE \"" +
                                                                    database + "\"");
                m_created.emplace_back(server, database);
                target_dsn = with_database(m_servers[static_cast<std::size_t>(server)], database);
            }
            m_targets.emplace_back(name, target_dsn);
            auto session = target(i);
            session->execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
            session->execute("INSERT INTO users SELECT i, 'u' || i || '@example.com' FROM "
                             "generate_series(1, " +
                             std::to_string(rows_per_target) + ") i");
        }
        m_plan = write_plan("rename", rename_plan);
        std::string text = "targets:\n";
        for (const auto& [name, target_dsn] : m_targets) {
            text += "  - {name: " + name + ", dsn: \"" + target_dsn + "\"}\n";
        }
        m_fleet = dir() + "/fleet.yaml";
        std::ofstream(m_fleet) << text;
    }

    void TearDown() override {
        for (const auto& [server, database] : m_created) {
            m_admins[static_cast<std::size_t>(server)]->execute("DROP DATABASE IF EXISTS \"" +
                                                                database + "\" WITH (FORCE)");
        }
        DatabaseTest::TearDown();
    }

    std::unique_ptr<Session> target(int i, const std::string& application_name = "fleet test") {
        return std::make_unique<Session>(Dsn(m_targets[static_cast<std::size_t>(i)].second),
                                         application_name);
    }

    std::string target_scalar(int i, const std::string& sql) {
        const auto rows = target(i)->query(sql);
        return rows.empty() || !rows.at(0, 0) ? "" : *rows.at(0, 0);
    }

    std::string phase_of(int i) {
        if (target_scalar(i, "SELECT to_regclass('pgphase.migrations')").empty()) {
            return "(no state store)";
        }
        return target_scalar(
            i, "SELECT phase FROM pgphase.migrations WHERE name = 'rename_users_email'");
    }

    // The user's view: every row is still there and readable under the name it has now.
    void expect_rows_intact(int i) {
        const std::string phase = phase_of(i);
        const std::string column = phase == "completed" ? "email_address" : "email";
        EXPECT_EQ(target_scalar(i, "SELECT count(*) FROM users WHERE " + column +
                                       " = 'u' || id "
                                       "|| '@example.com'"),
                  std::to_string(rows_per_target))
            << m_targets[static_cast<std::size_t>(i)].first << " at " << phase;
    }

    CommandResult advance_fleet(const std::vector<std::string>& extra, const std::string& run_dir) {
        std::vector<std::string> args = {"advance", m_plan, "--fleet", m_fleet};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_pgphase(args, run_dir);
    }

    nlohmann::json history_of(int i) {
        const CommandResult history =
            run_pgphase({"history", "rename_users_email", "--json", "--dsn",
                         m_targets[static_cast<std::size_t>(i)].second},
                        dir());
        EXPECT_EQ(history.exit_code, 0) << history.err;
        return nlohmann::json::parse(history.out);
    }

    std::vector<std::string> m_servers;
    std::vector<std::unique_ptr<Session>> m_admins;
    std::vector<std::pair<int, std::string>> m_created;         // server, database
    std::vector<std::pair<std::string, std::string>> m_targets; // name, dsn
    std::string m_plan;
    std::string m_fleet;
};

TEST_F(FleetRun, ALockHeldOnOneTargetEndsTheRunWithExit4AndARerunFinishesThemAll) {
    // s2-b (target 5) is held by a long transaction: its expand gives up after its retries.
    auto holder = target(5, "long transaction");
    holder->execute("BEGIN");
    holder->execute("LOCK TABLE users IN ACCESS SHARE MODE");

    const CommandResult first = advance_fleet({"--actor", "pipeline"}, dir());
    EXPECT_EQ(first.exit_code, 4) << first.out << first.err;
    EXPECT_NE(first.out.find(" of 8 targets done, exit 4"), std::string::npos) << first.out;
    // The summary names the target and why; the log lines name their target.
    EXPECT_NE(first.out.find("s2-b"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("failed (exit 4)"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("s2-b: "), std::string::npos) << first.out;
    EXPECT_NE(first.err.find("target=s2-b"), std::string::npos) << first.err;
    EXPECT_NE(first.err.find("fleet.target.done target=s2-b result=failed"), std::string::npos)
        << first.err;
    // The canary finished before the rest began; the held target changed nothing.
    EXPECT_EQ(phase_of(0), "completed");
    EXPECT_EQ(phase_of(5), "expanding");
    EXPECT_EQ(app_columns("users"), (std::vector<std::string>{"id", "email_address"}));
    std::set<std::string> seen;
    for (int i = 0; i < 8; ++i) {
        seen.insert(phase_of(i));
        expect_rows_intact(i);
    }
    // Targets still waiting never started: they have no state store at all.
    EXPECT_EQ(target_scalar(7, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgphase'"),
              phase_of(7) == "(no state store)" ? "0" : "1");

    holder->execute("ROLLBACK");
    const CommandResult rerun = advance_fleet({"--format", "json"}, dir());
    EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    const nlohmann::json summary = nlohmann::json::parse(rerun.out);
    EXPECT_EQ(summary["exit_code"], 0);
    ASSERT_EQ(summary["targets"].size(), 8U);
    EXPECT_EQ(summary["targets"][0]["name"], "s1-a");
    EXPECT_EQ(summary["targets"][0]["phase_before"], "completed");
    EXPECT_EQ(summary["targets"][5]["phase_before"], "expanding");
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(summary["targets"][static_cast<std::size_t>(i)]["result"], "done") << summary;
        EXPECT_EQ(summary["targets"][static_cast<std::size_t>(i)]["phase_after"], "completed");
        EXPECT_EQ(phase_of(i), "completed");
        expect_rows_intact(i);
    }
}

TEST_F(FleetRun, TwoRunnersStartedTogetherCompleteEveryTargetOnceWithOneRunnerPerPhase) {
    const std::string dir_a = dir() + "/a";
    const std::string dir_b = dir() + "/b";
    ASSERT_EQ(::mkdir(dir_a.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(dir_b.c_str(), 0700), 0);
    auto a = std::async(std::launch::async, [&] {
        return advance_fleet({"--actor", "runner-a"}, dir_a);
    });
    auto b = std::async(std::launch::async, [&] {
        return advance_fleet({"--actor", "runner-b"}, dir_b);
    });
    const CommandResult ra = a.get();
    const CommandResult rb = b.get();
    // A runner that found a target held by the other says so and exits 3; none fails.
    for (const CommandResult* r : {&ra, &rb}) {
        EXPECT_TRUE(r->exit_code == 0 || r->exit_code == 3) << r->out << r->err;
        if (r->exit_code == 3) {
            EXPECT_NE(r->out.find("skipped (exit 3)"), std::string::npos) << r->out;
            EXPECT_NE(r->out.find("held by backend pid"), std::string::npos) << r->out;
        }
    }
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(phase_of(i), "completed") << m_targets[static_cast<std::size_t>(i)].first;
        expect_rows_intact(i);
        const nlohmann::json events = history_of(i);
        std::map<std::string, int> phases;
        std::set<std::string> actors;
        for (const auto& event : events) {
            const std::string name = event["event"];
            if (name.rfind("phase.", 0) == 0 || name == "migration.started") {
                ++phases[name];
            }
            actors.insert(event["actor"].get<std::string>());
        }
        for (const auto& [name, count] : phases) {
            EXPECT_EQ(count, 1) << name << " on " << m_targets[static_cast<std::size_t>(i)].first;
        }
        EXPECT_EQ(phases.count("phase.completed"), 1U);
        EXPECT_EQ(actors.size(), 1U) << events.dump(2);
    }
}

TEST_F(FleetRun, ABackfillRunningWhenAnotherTargetFailsStopsAtACheckpointAndARerunResumesIt) {
    // s1-a backfills slowly (400 rows/s: 5 s); s2-a, in the same wave, gives up on a held lock
    // after about a second. s1-a then stops after its batch in flight, checkpoint saved.
    const std::string plan = write_plan("slow", R"(
name: rename_users_email
settings:
  lock_timeout: 100ms
  lock_retries: 4
  backfill: {batch_size: 100, max_batch_size: 100, max_rows_per_second: 400}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    const std::string fleet = dir() + "/pair.yaml";
    std::ofstream(fleet) << "targets:\n  - {name: s1-a, dsn: \"" << m_targets[0].second
                         << "\"}\n  - {name: s2-a, dsn: \"" << m_targets[4].second
                         << "\"}\nwaves: [[s1-a, s2-a]]\nparallel: 2\n";
    auto holder = target(4, "long transaction");
    holder->execute("BEGIN");
    holder->execute("LOCK TABLE users IN ACCESS SHARE MODE");

    const CommandResult run =
        run_pgphase({"advance", plan, "--fleet", fleet, "--format", "json"}, dir());
    EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
    const nlohmann::json summary = nlohmann::json::parse(run.out);
    EXPECT_EQ(summary["targets"][1]["result"], "failed");
    EXPECT_EQ(summary["targets"][0]["result"], "stopped") << summary.dump(2);
    EXPECT_EQ(summary["targets"][0]["phase_after"], "backfilling");
    EXPECT_NE(summary["targets"][0]["detail"].get<std::string>().find("checkpoint saved"),
              std::string::npos)
        << summary.dump(2);
    EXPECT_NE(run.err.find("backfill.stopping target=s1-a"), std::string::npos) << run.err;
    const std::string done =
        target_scalar(0, "SELECT count(*) FROM users WHERE email_address IS NOT NULL");
    EXPECT_GT(std::stoi(done), 0);
    EXPECT_LT(std::stoi(done), rows_per_target);

    holder->execute("ROLLBACK");
    const CommandResult rerun =
        run_pgphase({"advance", plan, "--fleet", fleet, "--format", "json"}, dir());
    EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    EXPECT_NE(rerun.err.find("backfill.resumed target=s1-a"), std::string::npos) << rerun.err;
    for (const int i : {0, 4}) {
        EXPECT_EQ(phase_of(i), "completed");
        expect_rows_intact(i);
    }
}

TEST_F(FleetRun, RollbackUndoesEveryTargetAndKeepsRowsWrittenMeanwhile) {
    const CommandResult advanced = advance_fleet({"--to", "backfill"}, dir());
    ASSERT_EQ(advanced.exit_code, 0) << advanced.out << advanced.err;
    // The old app version writes to the old column on every target during expand.
    for (int i = 0; i < 8; ++i) {
        target(i)->execute("INSERT INTO users VALUES (100000, 'late@example.com')");
    }
    const CommandResult rolled = run_pgphase({"rollback", m_plan, "--fleet", m_fleet}, dir());
    EXPECT_EQ(rolled.exit_code, 0) << rolled.out << rolled.err;
    EXPECT_NE(rolled.out.find("rollback rename_users_email on fleet"), std::string::npos)
        << rolled.out;
    EXPECT_NE(rolled.out.find("backfilled -> rolled_back"), std::string::npos) << rolled.out;
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(phase_of(i), "rolled_back");
        EXPECT_EQ(target_scalar(i, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM "
                                   "pg_attribute WHERE attrelid = 'users'::regclass AND "
                                   "attnum > 0 AND NOT attisdropped"),
                  "id,email");
        EXPECT_EQ(target_scalar(i, "SELECT count(*) FROM users"),
                  std::to_string(rows_per_target + 1));
    }
}

TEST_F(FleetRun, AFailedCanaryLeavesEveryOtherTargetUntouched) {
    // The canary lacks the column the plan renames: its start is refused as bad input.
    target(0)->execute("ALTER TABLE users RENAME COLUMN email TO mail");
    const CommandResult run = advance_fleet({}, dir());
    EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
    EXPECT_NE(run.out.find("not started: s1-a failed"), std::string::npos) << run.out;
    for (int i = 1; i < 8; ++i) {
        EXPECT_EQ(target_scalar(i, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgphase'"),
                  "0")
            << m_targets[static_cast<std::size_t>(i)].first;
        EXPECT_EQ(target_scalar(i, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM "
                                   "pg_attribute WHERE attrelid = 'users'::regclass AND "
                                   "attnum > 0 AND NOT attisdropped"),
                  "id,email");
    }
}

TEST_F(FleetRun, DeployBringsEveryTargetUpToTheFolderAndSkipsOneWhoseDeployIsHeld) {
    const std::string folder = dir() + "/migrations";
    ASSERT_EQ(::mkdir(folder.c_str(), 0700), 0);
    std::ofstream(folder + "/001_posts.sql")
        << "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n";
    // Lint's error (a blocking index build): deploy runs it in phases, CONCURRENTLY.
    std::ofstream(folder + "/002_users_email.sql")
        << "CREATE INDEX users_email_idx ON users (email);\n";
    // Another deploy holds s1-d (target 3).
    auto other = target(3, "another deploy");
    other->query("SELECT pg_advisory_lock(hashtextextended('pgphase deploy', 0))");

    const CommandResult first = run_pgphase({"deploy", folder, "--fleet", m_fleet}, dir());
    EXPECT_EQ(first.exit_code, 3) << first.out << first.err;
    EXPECT_NE(first.out.find("7 of 8 targets done, exit 3"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("skipped (exit 3)  held by backend pid"), std::string::npos)
        << first.out;
    EXPECT_NE(first.out.find("1 applied, 1 completed"), std::string::npos) << first.out;
    EXPECT_EQ(target_scalar(3, "SELECT to_regclass('posts')"), "");

    other->query("SELECT pg_advisory_unlock_all()");
    const CommandResult rerun =
        run_pgphase({"deploy", folder, "--fleet", m_fleet, "--format", "json"}, dir());
    EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    const nlohmann::json summary = nlohmann::json::parse(rerun.out);
    ASSERT_EQ(summary["targets"].size(), 8U);
    for (int i = 0; i < 8; ++i) {
        const auto& item = summary["targets"][static_cast<std::size_t>(i)];
        EXPECT_EQ(item["result"], "done") << item.dump(2);
        EXPECT_EQ(item["deploy"]["result"], "done");
        EXPECT_EQ(target_scalar(i, "SELECT indisvalid FROM pg_index WHERE indexrelid = "
                                   "'users_email_idx'::regclass"),
                  "t");
        EXPECT_EQ(target_scalar(i, "SELECT count(*) FROM pgphase.deploy_history"), "2");
    }
    EXPECT_EQ(summary["targets"][3]["deploy"]["migrations"][0]["state"], "applied");
    EXPECT_EQ(summary["targets"][0]["deploy"]["migrations"][0]["state"], "already_applied");
}

TEST_F(FleetRun, PlanShowsTargetsThatPlanAlikeTogetherAndTheOddOneApart) {
    target(6)->execute("ALTER TABLE users RENAME COLUMN email TO mail");
    const CommandResult text = run_pgphase({"plan", m_plan, "--fleet", m_fleet}, dir());
    EXPECT_EQ(text.exit_code, 2) << text.out << text.err;
    EXPECT_NE(text.out.find("8 targets, 2 different plans"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("== s1-a, s1-b, s1-c, s1-d, s2-a, s2-b, s2-d (7 targets) =="),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("== s2-c (1 target) =="), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("did you mean \"mail\"?"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("ACCESS EXCLUSIVE"), std::string::npos) << text.out;

    target(6)->execute("ALTER TABLE users RENAME COLUMN mail TO email");
    const CommandResult json =
        run_pgphase({"plan", m_plan, "--fleet", m_fleet, "--format", "json"}, dir());
    EXPECT_EQ(json.exit_code, 0) << json.out << json.err;
    const nlohmann::json report = nlohmann::json::parse(json.out);
    ASSERT_EQ(report["targets"].size(), 8U);
    EXPECT_EQ(report["targets"][7]["name"], "s2-d");
    EXPECT_FALSE(report["targets"][7]["plan"].is_null());
    EXPECT_EQ(report["targets"][7]["plan"], report["targets"][0]["plan"]);
    // Planning reads catalogs only: no target has a state store.
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(phase_of(i), "(no state store)");
    }
}

TEST_F(FleetRun, AnUnreachableCanaryFailsTheRunWithoutShowingItsPassword) {
    const std::string fleet = dir() + "/down.yaml";
    std::ofstream(fleet) << "targets:\n"
                            "  - {name: down, dsn: \"postgresql://app:hunter2@127.0.0.1:1/app\"}\n"
                            "  - {name: s1-a, dsn: \""
                         << m_targets[0].second << "\"}\n";
    const CommandResult run = run_pgphase({"advance", m_plan, "--fleet", fleet}, dir());
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_NE(run.out.find("down    1     - -> -"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("could not connect"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("not started: down failed"), std::string::npos) << run.out;
    EXPECT_EQ((run.out + run.err).find("hunter2"), std::string::npos) << run.out << run.err;
    EXPECT_EQ(phase_of(0), "(no state store)");
}

TEST_F(FleetRun, FleetAndDsnTogetherAreRefusedAndFormatJsonNeedsAFleet) {
    const CommandResult both = pgphase({"advance", m_plan, "--fleet", m_fleet});
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_NE(both.err.find("--fleet and --dsn are both given"), std::string::npos) << both.err;
    const CommandResult json = pgphase({"advance", m_plan, "--format", "json"});
    EXPECT_EQ(json.exit_code, 2) << json.err;
    EXPECT_NE(json.err.find("--format json needs --fleet"), std::string::npos) << json.err;
    EXPECT_EQ(phase_of(0), "(no state store)");
}

} // namespace
} // namespace pgphase::testing
