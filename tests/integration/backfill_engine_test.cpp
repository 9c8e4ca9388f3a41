// The backfill engine against a real PostgreSQL, as an operator sees it: interrupted runs
// checkpoint and resume with every row written exactly once, pause/resume from another shell,
// a health query that holds the work, composite keys, and a worker connection killed mid-run.
#include "tests/integration/backfill_support.hpp"

#include <csignal>

namespace pgphase::testing {
namespace {

using namespace std::chrono_literals;

// A users table with a primary key whose `touched` column counts the backfill's UPDATEs per
// row: after the backfill every row must say exactly 1 (backfill_support).
class BackfillEngine : public BackfillTest {
protected:
    void SetUp() override {
        BackfillTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        create_counted_users(", PRIMARY KEY (id)");
    }
};

TEST_F(BackfillEngine, SigintCheckpointsExits130AndTheResumedRunWritesEveryRowOnce) {
    const std::string plan = slow_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] { return rows_done() >= 2000; })) << spawned_output();
    const auto signalled = std::chrono::steady_clock::now();
    ::kill(pid, SIGINT);
    const auto code = wait_for_exit(pid, 10s);
    const auto took = std::chrono::steady_clock::now() - signalled;
    ASSERT_TRUE(code) << "pgphase did not exit after SIGINT";
    EXPECT_EQ(*code, 130) << spawned_output();
    EXPECT_LT(took, 2s) << "exit took longer than 2 s after the signal";
    EXPECT_NE(spawned_output().find("checkpoint saved after key"), std::string::npos)
        << spawned_output();
    const std::int64_t stopped_at = rows_done();
    EXPECT_GT(stopped_at, 0);
    EXPECT_LT(stopped_at, 20000);

    const CommandResult resumed = pgphase({"backfill", plan});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("backfill.resumed"), std::string::npos) << resumed.err;
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(BackfillEngine, KilledAtSeveralPointsResumesWithoutGapsOrRepeats) {
    const std::string plan = slow_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    for (const std::int64_t point : {1000, 6000, 12000}) {
        kill_at(plan, point);
        if (HasFatalFailure()) {
            return;
        }
        EXPECT_LT(rows_done(), 20000);
    }
    const CommandResult resumed = pgphase({"backfill", plan});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(BackfillEngine, PauseAndResumeFromAnotherShell) {
    const std::string plan = slow_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] { return rows_done() >= 1000; })) << spawned_output();

    const CommandResult paused = pgphase({"pause", "slow_rename", "--actor", "oncall"});
    ASSERT_EQ(paused.exit_code, 0) << paused.err;
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT state FROM pgphase.backfill_status") == "paused";
    })) << spawned_output();
    const std::int64_t held = rows_done();
    const CommandResult status = pgphase({"status"});
    EXPECT_NE(status.out.find("paused by oncall"), std::string::npos) << status.out;
    // While paused no batch commits: the checkpoint stays put across several monitor intervals.
    EXPECT_FALSE(eventually([&] { return rows_done() != held; }, 2500ms));

    ASSERT_EQ(pgphase({"resume", "slow_rename"}).exit_code, 0);
    const auto code = wait_for_exit(pid, 30s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    EXPECT_NE(spawned_output().find("backfill.waiting"), std::string::npos);
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
    EXPECT_EQ(scalar("SELECT string_agg(event, ',' ORDER BY id) FROM pgphase.events WHERE event "
                     "LIKE 'backfill.%'"),
              "backfill.paused,backfill.resumed");
}

TEST_F(BackfillEngine, AFalseHealthQueryHoldsTheWorkUntilItTurnsTrue) {
    db().execute("CREATE TABLE replica_lag_stub (lagging boolean NOT NULL)");
    db().execute("INSERT INTO replica_lag_stub VALUES (true)");
    const std::string plan =
        slow_plan("    health_query: \"SELECT NOT lagging FROM replica_lag_stub\"\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT reason FROM pgphase.backfill_status") ==
               "health_query returned false";
    })) << spawned_output();
    EXPECT_EQ(rows_done(), 0);
    const CommandResult status = pgphase({"status", "--json"});
    EXPECT_NE(status.out.find("\"state\": \"throttled\""), std::string::npos) << status.out;

    db().execute("UPDATE replica_lag_stub SET lagging = false");
    const auto code = wait_for_exit(pid, 30s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(BackfillEngine, AHealthQueryThatFailsHoldsTheWorkToo) {
    const std::string plan = slow_plan("    health_query: \"SELECT ok FROM health_flags\"\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT reason FROM pgphase.backfill_status")
                   .rfind("health_query failed", 0) == 0;
    })) << spawned_output();
    EXPECT_EQ(rows_done(), 0);
    db().execute("CREATE TABLE health_flags (ok boolean)");
    db().execute("INSERT INTO health_flags VALUES (true)");
    const auto code = wait_for_exit(pid, 30s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(BackfillEngine, AWorkerConnectionKilledMidRunIsReconnectedAndTheBatchRetried) {
    const std::string plan = slow_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] { return rows_done() >= 2000; })) << spawned_output();
    db().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name LIKE 'pgphase[%] backfill slow_rename worker'");
    const auto code = wait_for_exit(pid, 30s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    EXPECT_NE(spawned_output().find("backfill.reconnected"), std::string::npos) << spawned_output();
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(DatabaseTest, BackfillWalksACompositePrimaryKey) {
    db().execute("CREATE TABLE line_items (order_id bigint, line text, amount integer, "
                 "PRIMARY KEY (order_id, line))");
    db().execute("INSERT INTO line_items SELECT o, 'line ' || l, o * l FROM "
                 "generate_series(1, 300) o, generate_series(1, 7) l");
    const std::string plan = write_plan("composite", R"(
name: line_items_cents
settings: {backfill: {batch_size: 100, max_batch_size: 100, target_batch_time: 10s}}
changes:
  - add_column: {table: line_items, column: {name: cents, type: bigint, nullable: false}, up: amount * 100}
)");
    // The batch count below needs a size that stays at 100: with the default 25ms target, one
    // slow batch on a loaded machine would shrink it and add a batch.
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM line_items WHERE cents = amount * 100"), "2100");
    EXPECT_EQ(scalar("SELECT rows_done || '/' || batches FROM pgphase.backfill_checkpoints"),
              "2100/21");
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
}

} // namespace
} // namespace pgphase::testing
