// Lock waits the app never notices: with the default settings a DDL step waits at most 80 ms per
// attempt for its lock (so an app query queued behind it waits little), says which session holds
// the lock, retries with pauses, finishes once the holder is gone, and gives up with exit 4 after
// its bounded attempts. How long app queries actually waited is measured by
// scripts/bench-lock-wait.sh, not asserted here.
#include "tests/integration/support.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>
#include <unistd.h>

namespace pgphase::testing {
namespace {

const char* default_plan = R"(
name: rename_users_email
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)";

class LockWait : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigserial PRIMARY KEY, email text, name text)");
        db().execute("INSERT INTO users (email) SELECT 'u' || i FROM generate_series(1, 100) i");
    }

    // A report that read the table and keeps its transaction open: ACCESS SHARE until COMMIT.
    std::unique_ptr<orchestrator::Session> hold_the_table() {
        auto holder = connect("nightly report");
        holder_pid = holder->query("SELECT pg_backend_pid()").text(0, 0);
        holder->execute("BEGIN");
        holder->execute("SELECT count(*) FROM users");
        return holder;
    }

    std::string holder_pid;
};

TEST_F(LockWait, TheDefaultRetriesShortWaitsNamesTheHolderAndFinishesOnceItIsGone) {
    auto holder = hold_the_table();
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1'500));
        holder->execute("COMMIT");
    });
    const CommandResult result = pgphase({"start", write_plan("rename", default_plan)});
    release.join();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("step.retry"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("lock_timeout_ms=50"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("/40"), std::string::npos) << result.err; // attempt n/40
    EXPECT_NE(result.err.find("pid " + holder_pid +
                              " \\\"nightly report\\\" (AccessShareLock, "
                              "idle in transaction for "),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("SELECT count(*) FROM users"), std::string::npos) << result.err;
    EXPECT_EQ(scalar("SELECT phase FROM pgphase.migrations"), "expanded");
}

TEST_F(LockWait, BoundedAttemptsEndWithExit4NamingTheHolderAndApplyNothing) {
    auto holder = hold_the_table();
    const CommandResult result = pgphase(
        {"start", write_plan("few", std::string(default_plan) + "settings: {lock_retries: 2}\n")});
    EXPECT_EQ(result.exit_code, 4) << result.err;
    EXPECT_NE(result.err.find("gave up after 3 attempts waiting for a lock on public.users "
                              "(lock_timeout 50ms x3)"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("held by: pid " + holder_pid + " \"nightly report\""),
              std::string::npos)
        << result.err;
    holder->execute("COMMIT");
    EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' "
                     "AND column_name = 'email_address'"),
              "0");
}

TEST_F(LockWait, AWrittenScheduleIsFollowedAttemptByAttempt) {
    auto holder = hold_the_table();
    const CommandResult result = pgphase(
        {"start", write_plan("written", std::string(default_plan) +
                                            "settings: {lock_timeouts: [20ms, 30ms x 2]}\n")});
    holder->execute("COMMIT");
    EXPECT_EQ(result.exit_code, 4) << result.err;
    EXPECT_NE(result.err.find("lock_timeout_ms=20"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("lock_timeout_ms=30"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("gave up after 3 attempts waiting for a lock on public.users "
                              "(lock_timeout 20ms x1, 30ms x2)"),
              std::string::npos)
        << result.err;
}

// A VALIDATE takes SHARE UPDATE EXCLUSIVE, which no app query waits behind: it waits in one long
// attempt (long enough for PostgreSQL to cancel an autovacuum holding the table, which a 50 ms
// attempt never is), while the app keeps reading and writing. The holder here stands in for an
// autovacuum: it takes the same lock.
TEST_F(LockWait, AValidateWaitsInOneLongAttemptThatNoAppQueryQueuesBehind) {
    const std::string plan = write_plan("check", R"(
name: check_users_email
changes:
  - add_check: {table: users, name: users_email_check, check: "email <> ''"}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto vacuum = connect("stand-in autovacuum");
    vacuum->execute("BEGIN");
    vacuum->execute("LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE");
    const int pid = spawn_pgphase({"backfill", plan});
    // The VALIDATE has waited for its lock for 500 ms in one statement: ten attempts of the
    // default schedule's 50 ms.
    EXPECT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
                      "'pgphase%' AND wait_event_type = 'Lock' AND query LIKE '%VALIDATE%' AND "
                      "clock_timestamp() - query_start > interval '500 ms'") == "1";
    }));
    auto app = connect("app");
    app->execute("SET statement_timeout = '1s'");
    EXPECT_EQ(sqlstate_of(*app, "INSERT INTO users (email) VALUES ('while validating')"), "ok");
    EXPECT_EQ(sqlstate_of(*app, "UPDATE users SET name = 'n' WHERE id = 1"), "ok");
    EXPECT_EQ(sqlstate_of(*app, "SELECT count(*) FROM users"), "ok");
    vacuum->execute("COMMIT");
    EXPECT_EQ(wait_for_exit(pid, std::chrono::seconds(60)), 0) << spawned_output();
    EXPECT_EQ(spawned_output().find("step.retry"), std::string::npos) << spawned_output();
    EXPECT_EQ(scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'users_email_check'"),
              "t");
}

// An autovacuum that alone holds the table (SHARE UPDATE EXCLUSIVE) blocks every ACCESS
// EXCLUSIVE attempt, and PostgreSQL cancels it only for a waiter past deadlock_timeout, which a
// 50 ms attempt never is: after a big backfill it outlasted the whole schedule
// (docs/performance.md). These tests make a real autovacuum crawl over a table (a cost limit
// of 1, 100 ms delays) with autovacuum_naptime at 1 s, put back afterwards.
class AutovacuumHolds : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("ALTER SYSTEM SET autovacuum_naptime = '1s'");
        db().execute("SELECT pg_reload_conf()");
        m_naptime_set = true;
        db().execute("CREATE TABLE big (id bigint PRIMARY KEY, pad text) WITH ("
                     "autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, "
                     "autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)");
        db().execute("INSERT INTO big SELECT i, repeat('x', 100) FROM generate_series(1, 20000) i");
        db().execute("UPDATE big SET pad = pad || 'y'");
    }

    void TearDown() override {
        if (m_naptime_set) {
            db().execute("ALTER SYSTEM RESET autovacuum_naptime");
            db().execute("SELECT pg_reload_conf()");
        }
        DatabaseTest::TearDown();
        if (!m_role.empty()) {
            orchestrator::Session server(orchestrator::Dsn(std::getenv("PGPHASE_TEST_DSN")),
                                         "pgphase-test teardown");
            server.execute("DROP ROLE IF EXISTS " + m_role);
        }
    }

    // The pid of the autovacuum worker that holds `big`, once there is one.
    std::string wait_for_autovacuum() {
        std::string pid;
        EXPECT_TRUE(eventually(
            [&] {
                pid = scalar("SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = "
                             "a.pid WHERE a.backend_type = 'autovacuum worker' AND l.granted AND "
                             "l.relation = 'big'::regclass AND l.mode = "
                             "'ShareUpdateExclusiveLock'");
                return !pid.empty();
            },
            std::chrono::seconds(60)))
            << "no autovacuum started on big within 60 s";
        return pid;
    }

    bool still_running(const std::string& pid) {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == "1";
    }

    // A plan that needs ACCESS EXCLUSIVE on big, with five 50 ms attempts: the autovacuum
    // outlasts them unless it is cancelled.
    std::string plan(const std::string& settings = "") {
        return write_plan("note", "name: big_note\nchanges:\n  - add_column: {table: big, "
                                  "column: {name: note, type: text}}\nsettings: {lock_timeouts: "
                                  "[50ms x 5]" +
                                      settings + "}\n");
    }

    std::string m_role;

private:
    bool m_naptime_set = false;
};

TEST_F(AutovacuumHolds, ItIsCancelledWhereTheRoleMayAndTheStepGoesOn) {
    const std::string pid = wait_for_autovacuum();
    ASSERT_FALSE(pid.empty());
    const CommandResult result = pgphase({"start", plan()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("step.autovacuum_cancelled"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("pid=" + pid), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("autovacuum: VACUUM"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("step.autovacuum_outwait"), std::string::npos) << result.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.events WHERE event = 'step.lock_retry' AND "
                     "detail->>'autovacuum' = 'cancelled'"),
              "1");
    EXPECT_EQ(column_names("big"), (std::vector<std::string>{"id", "pad", "note"}));
}

TEST_F(AutovacuumHolds, WithCancelAutovacuumFalseTheScheduleRunsOutNamingIt) {
    const std::string pid = wait_for_autovacuum();
    ASSERT_FALSE(pid.empty());
    const CommandResult result = pgphase({"start", plan(", cancel_autovacuum: false")});
    EXPECT_EQ(result.exit_code, 4) << result.err;
    EXPECT_NE(result.err.find("held by: pid " + pid), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("autovacuum: VACUUM"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("step.autovacuum_"), std::string::npos) << result.err;
    EXPECT_TRUE(still_running(pid));
}

// A role that may read all statistics but not signal autovacuum workers (what a managed
// service's admin role usually is): one attempt waits past deadlock_timeout, and PostgreSQL
// cancels the autovacuum for it.
TEST_F(AutovacuumHolds, WhereTheRoleMayNotCancelItOneAttemptOutwaitsDeadlockTimeout) {
    m_role = "pgphase_av_" + std::to_string(::getpid());
    db().execute("CREATE ROLE " + m_role + " LOGIN");
    db().execute("GRANT pg_read_all_stats TO " + m_role);
    db().execute("GRANT CREATE ON DATABASE " + scalar("SELECT current_database()") + " TO " +
                 m_role);
    db().execute("GRANT CREATE ON SCHEMA public TO " + m_role);
    db().execute("ALTER TABLE big OWNER TO " + m_role);
    std::string role_dsn = dsn();
    const auto at = role_dsn.find("postgres@");
    ASSERT_NE(at, std::string::npos) << role_dsn;
    role_dsn.replace(at, std::string("postgres").size(), m_role);

    const std::string pid = wait_for_autovacuum();
    ASSERT_FALSE(pid.empty());
    const CommandResult result = run_pgphase({"start", plan(), "--dsn", role_dsn}, dir());
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("step.autovacuum_not_cancelled"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("sqlstate=42501"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("step.autovacuum_outwait"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("lock_timeout_ms=1500"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("step.autovacuum_cancelled"), std::string::npos) << result.err;
    EXPECT_EQ(column_names("big"), (std::vector<std::string>{"id", "pad", "note"}));
}

} // namespace
} // namespace pgphase::testing
