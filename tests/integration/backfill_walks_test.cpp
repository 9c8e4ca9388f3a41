// The backfill's two other walks against a real PostgreSQL: tables without a primary key by
// ctid page ranges, and `workers: N` key ranges in parallel. Killed runs resume with every row
// written exactly once (a trigger counts the UPDATEs each row received).
#include "tests/integration/backfill_support.hpp"

#include <csignal>

namespace pgphase::testing {
namespace {

using namespace std::chrono_literals;

// The users table, plan, progress and kill helpers are backfill_support's.
class BackfillWalks : public BackfillTest {};

TEST_F(BackfillWalks, ATableWithoutAPrimaryKeyIsRenamedAndGivenAColumnByPageRanges) {
    create_counted_users("");
    // Two migrations, one after the other (a plan with two backfills of one table where one
    // column is NOT NULL trips over the sync triggers skipping backfill writes: not this test).
    const std::string rename = write_plan("nopk_rename", R"(
name: nopk_rename
settings: {backfill: {batch_size: 300, max_batch_size: 2000}}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    ASSERT_EQ(pgphase({"plan", rename}).exit_code, 0);
    ASSERT_EQ(pgphase({"start", rename}).exit_code, 0);
    const CommandResult before = pgphase({"verify", rename});
    EXPECT_EQ(before.exit_code, 1) << before.err;
    EXPECT_NE(before.out.find("public.users: 20000 rows checked, 20000 mismatches"),
              std::string::npos)
        << before.out;
    EXPECT_NE(before.out.find("  key [\"(0,1)\"]"), std::string::npos) << before.out;

    const CommandResult backfill = pgphase({"backfill", rename});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_NE(backfill.err.find("walk=\"ctid pages\""), std::string::npos) << backfill.err;
    expect_every_row_written_once();
    EXPECT_EQ(scalar("SELECT progress FROM pgphase.backfill_status"), "1");
    const CommandResult after = pgphase({"verify", rename});
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    EXPECT_NE(after.out.find("20000 rows checked, 0 mismatches"), std::string::npos) << after.out;
    ASSERT_EQ(pgphase({"complete", rename}).exit_code, 0);

    const std::string add = write_plan("nopk_add", R"(
name: nopk_add
settings: {backfill: {batch_size: 300, max_batch_size: 2000, workers: 2}}
changes:
  - add_column: {table: users, column: {name: cents, type: bigint, nullable: false}, up: amount * 100}
)");
    ASSERT_EQ(pgphase({"start", add}).exit_code, 0);
    const CommandResult filled = pgphase({"backfill", add});
    ASSERT_EQ(filled.exit_code, 0) << filled.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.backfill_checkpoints WHERE migration = "
                     "'nopk_add'"),
              "2");
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE cents IS DISTINCT FROM amount * 100"), "0");
    // One backfill UPDATE per row per migration, none repeated.
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE touched <> 2"), "0");
    EXPECT_EQ(pgphase({"verify", add}).exit_code, 0);
    ASSERT_EQ(pgphase({"complete", add}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address LIKE 'user%' AND cents = 700"),
              "20000");
}

TEST_F(BackfillWalks, ATableWithoutAPrimaryKeyKilledMidBackfillResumesWithEveryRowOnce) {
    create_counted_users("");
    const std::string plan = slow_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    // The app keeps writing: its inserts land beyond the pinned pages (already right through
    // the trigger), its updates move rows to other pages.
    auto app = connect("app");
    for (const std::int64_t point : {1000, 7000}) {
        kill_at(plan, point);
        app->execute("INSERT INTO users (id, email) SELECT i, 'late' || i FROM "
                     "generate_series(20001 + " +
                     std::to_string(point) + ", 20010 + " + std::to_string(point) + ") i");
        app->execute("UPDATE users SET email = email || '.x' WHERE id % 997 = 0");
    }
    const std::string progress_when_killed =
        scalar("SELECT (last_key->>0)::int < (end_key->>0)::int FROM pgphase.backfill_checkpoints");
    EXPECT_EQ(progress_when_killed, "t");
    const CommandResult resumed = pgphase({"backfill", plan});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("backfill.resumed"), std::string::npos) << resumed.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "20020");
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email"), "0");
    // Never twice; once for every row the app did not write (those the trigger filled before
    // the backfill reached them need no backfill write).
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE touched > 1 OR (touched = 0 AND id <= "
                     "20000 AND id % 997 <> 0)"),
              "0")
        << scalar("SELECT string_agg(id || ':' || touched, ' ') FROM (SELECT id, touched FROM "
                  "users WHERE touched <> 1 LIMIT 10) s");
    EXPECT_EQ(scalar("SELECT end_key IS NULL FROM pgphase.backfill_checkpoints"), "t");
    EXPECT_EQ(scalar("SELECT progress FROM pgphase.backfill_status"), "1");
}

TEST_F(BackfillWalks, FourWorkersKilledMidBackfillResumeWithEveryRowOnce) {
    create_counted_users(", PRIMARY KEY (id)");
    const std::string plan = slow_plan("    workers: 4\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    // Four worker connections run at once.
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
                      "'pgphase[%] backfill slow_rename worker%'") == "4";
    })) << spawned_output();
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(wait_for_exit(pid, 10s));
    for (const std::int64_t point : {4000, 11000}) {
        kill_at(plan, point);
    }
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.backfill_checkpoints"), "4");
    EXPECT_LT(rows_done(), 20000);
    const CommandResult resumed = pgphase({"backfill", plan});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    expect_every_row_written_once();
    // The resumed run's row total equals the table's.
    EXPECT_EQ(rows_done(), 20000);
    EXPECT_EQ(scalar("SELECT bool_and(end_key IS NULL) FROM pgphase.backfill_checkpoints"), "t");
    // The ranges cut the key space into parts of about equal size.
    EXPECT_EQ(scalar("SELECT bool_and(rows_done BETWEEN 3000 AND 7000) FROM "
                     "pgphase.backfill_checkpoints"),
              "t");
}

TEST_F(BackfillWalks, WorkersStopOnSigintWithTheirCheckpointsAndExit130) {
    create_counted_users(", PRIMARY KEY (id)");
    const std::string plan = slow_plan("    workers: 3\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] { return rows_done() >= 3000; })) << spawned_output();
    const auto signalled = std::chrono::steady_clock::now();
    ::kill(pid, SIGINT);
    const auto code = wait_for_exit(pid, 10s);
    const auto took = std::chrono::steady_clock::now() - signalled;
    ASSERT_TRUE(code) << "pgphase did not exit after SIGINT";
    EXPECT_EQ(*code, 130) << spawned_output();
    EXPECT_LT(took, 2s) << "exit took longer than 2 s after the signal";
    EXPECT_NE(spawned_output().find("checkpoint saved after key worker 0"), std::string::npos)
        << spawned_output();
    EXPECT_LT(rows_done(), 20000);
    const CommandResult resumed = pgphase({"backfill", plan});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(BackfillWalks, AFalseHealthQueryHoldsEveryWorkerAndAKilledWorkerConnectionReconnects) {
    create_counted_users(", PRIMARY KEY (id)");
    db().execute("CREATE TABLE replica_lag_stub (lagging boolean NOT NULL)");
    db().execute("INSERT INTO replica_lag_stub VALUES (true)");
    const std::string plan = slow_plan(
        "    workers: 3\n    health_query: \"SELECT NOT lagging FROM replica_lag_stub\"\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT reason FROM pgphase.backfill_status") ==
               "health_query returned false";
    })) << spawned_output();
    EXPECT_EQ(rows_done(), 0);
    EXPECT_FALSE(eventually([&] { return rows_done() != 0; }, 1500ms));

    db().execute("UPDATE replica_lag_stub SET lagging = false");
    ASSERT_TRUE(eventually([&] { return rows_done() >= 3000; })) << spawned_output();
    db().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name LIKE 'pgphase[%] backfill slow_rename worker 1'");
    const auto code = wait_for_exit(pid, 30s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    EXPECT_NE(spawned_output().find("backfill.reconnected worker=1"), std::string::npos)
        << spawned_output();
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(BackfillWalks, PauseFromAnotherShellHoldsEveryWorker) {
    create_counted_users(", PRIMARY KEY (id)");
    const std::string plan = slow_plan("    workers: 2\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] { return rows_done() >= 2000; })) << spawned_output();
    ASSERT_EQ(pgphase({"pause", "slow_rename", "--actor", "oncall"}).exit_code, 0);
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT state FROM pgphase.backfill_status") == "paused";
    })) << spawned_output();
    const std::int64_t held = rows_done();
    EXPECT_FALSE(eventually([&] { return rows_done() != held; }, 2500ms));
    ASSERT_EQ(pgphase({"resume", "slow_rename"}).exit_code, 0);
    const auto code = wait_for_exit(pid, 30s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    expect_every_row_written_once();
    EXPECT_EQ(rows_done(), 20000);
}

TEST_F(DatabaseTest, WorkersSplitACompositeKeyByItsFirstColumn) {
    db().execute("CREATE TABLE line_items (order_id bigint, line text, amount integer, "
                 "PRIMARY KEY (order_id, line))");
    db().execute("INSERT INTO line_items SELECT o, 'line ' || l, o * l FROM "
                 "generate_series(1, 300) o, generate_series(1, 7) l");
    const std::string plan = write_plan("composite", R"(
name: line_items_cents
settings: {backfill: {batch_size: 100, max_batch_size: 100, workers: 3}}
changes:
  - add_column: {table: line_items, column: {name: cents, type: bigint, nullable: false}, up: amount * 100}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM line_items WHERE cents = amount * 100"), "2100");
    EXPECT_EQ(scalar("SELECT count(*) || '/' || sum(rows_done) FROM pgphase.backfill_checkpoints"),
              "3/2100");
    // Every order's lines stay in one worker's range: the split is on order_id.
    EXPECT_EQ(scalar("SELECT bool_and(rows_done % 7 = 0) FROM pgphase.backfill_checkpoints"), "t");
    const CommandResult verify = pgphase({"verify", plan});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
}

} // namespace
} // namespace pgphase::testing

namespace pgphase::testing {
namespace {

// Prisma's ids are text (cuid, uuid as text): the key walk must not read keys as numbers, on
// the first run or on a resumed one. (A long target batch time keeps the batch at 200 rows on a
// busy machine, where slow batches would make it smaller.)
TEST_F(DatabaseTest, ATextPrimaryKeyIsWalkedAndResumed) {
    db().execute("CREATE TABLE \"Secrets\" (id text PRIMARY KEY, \"lastSignedIn\" timestamp)");
    db().execute("INSERT INTO \"Secrets\" (id) SELECT 'cl' || md5(i::text) "
                 "FROM generate_series(1, 3000) i");
    const std::string plan = write_plan("text_key", R"(
name: text_key
settings: {backfill: {batch_size: 200, max_batch_size: 200, target_batch_time: 10s}}
changes:
  - set_not_null: {table: Secrets, column: lastSignedIn, up: "'2024-01-01'::timestamp"}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult first = pgphase({"backfill", plan, "--max-batches", "3"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM \"Secrets\" WHERE \"lastSignedIn\" IS NULL"), "2400");
    const CommandResult resumed = pgphase({"backfill", plan});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM \"Secrets\" WHERE \"lastSignedIn\" IS NULL"), "0");
    EXPECT_EQ(pgphase({"complete", plan}).exit_code, 0);
}

} // namespace
} // namespace pgphase::testing
