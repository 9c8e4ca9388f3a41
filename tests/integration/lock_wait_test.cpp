// Lock waits the app never notices: with the default settings a DDL step waits at most 80 ms per
// attempt for its lock (so an app query queued behind it waits little), says which session holds
// the lock, retries with pauses, finishes once the holder is gone, and gives up with exit 4 after
// its bounded attempts. How long app queries actually waited is measured by
// scripts/bench-lock-wait.sh, not asserted here.
#include "tests/integration/support.hpp"

#include <chrono>
#include <thread>

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

} // namespace
} // namespace pgphase::testing
