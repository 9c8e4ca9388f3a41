// rename_column's copy path (method: copy) against a real PostgreSQL, as users see it: old and
// new clients both work on the base table during expand, complete leaves only the new shape
// with every row, rollback from expand or mid-backfill restores the original with the rows
// written meanwhile, a killed start resumes. The default catalog-only rename is
// rename_column_in_catalog_test.cpp's.
#include "tests/integration/support.hpp"

#include <csignal>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

const char* rename_plan = R"(
name: rename_users_email
settings:
  lock_timeout: 1s
  lock_retries: 3
  # target_batch_time keeps every batch at 100 rows on a slow (sanitizer, noisy) machine:
  # these tests count batches.
  backfill: {batch_size: 100, max_batch_size: 100, target_batch_time: 10s}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)";

class RenameColumn : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigserial PRIMARY KEY, "
                     "email text NOT NULL DEFAULT 'unknown', name text)");
        db().execute("INSERT INTO users (email, name) SELECT 'user' || i || '@example.com', "
                     "'name ' || i FROM generate_series(1, 1000) i");
        plan = write_plan("rename", rename_plan);
    }

    void expect_ok(const CommandResult& result) { EXPECT_EQ(result.exit_code, 0) << result.err; }

    std::string plan;
};

TEST_F(RenameColumn, OldAndNewClientsSeeEachOthersWritesDuringExpand) {
    expect_ok(pgphase({"start", plan}));
    auto old_app = connect("old app");
    auto new_app = connect("new app");

    old_app->execute("INSERT INTO users (id, email, name) VALUES (5001, 'old@example.com', 'o')");
    new_app->execute(
        "INSERT INTO users (id, email_address, name) VALUES (5002, 'new@example.com', 'n')");
    old_app->execute("UPDATE users SET email = 'old-update@example.com' WHERE id = 1");
    new_app->execute("UPDATE users SET email_address = 'new-update@example.com' WHERE id = 2");
    new_app->execute("INSERT INTO users (id, name) VALUES (5003, 'defaults')");

    // Each client reads the other's writes under its own column name.
    EXPECT_EQ(old_app->query("SELECT email FROM users WHERE id = 5002").text(0, 0),
              "new@example.com");
    EXPECT_EQ(new_app->query("SELECT email_address FROM users WHERE id = 5001").text(0, 0),
              "old@example.com");
    EXPECT_EQ(new_app->query("SELECT email_address FROM users WHERE id = 1").text(0, 0),
              "old-update@example.com");
    EXPECT_EQ(old_app->query("SELECT email FROM users WHERE id = 2").text(0, 0),
              "new-update@example.com");
    // The old column's default reaches rows inserted by the new version.
    EXPECT_EQ(new_app->query("SELECT email_address FROM users WHERE id = 5003").text(0, 0),
              "unknown");
    // NOT NULL still holds for old-version writes.
    EXPECT_THROW(old_app->execute("INSERT INTO users (id, email) VALUES (5004, NULL)"),
                 orchestrator::DatabaseError);
    // Updating an untouched row keeps the two names in step even before the backfill.
    old_app->execute("UPDATE users SET name = 'renamed' WHERE id = 3");
    EXPECT_EQ(scalar("SELECT email_address FROM users WHERE id = 3"), "user3@example.com");
}

TEST_F(RenameColumn, CompleteLeavesOnlyTheNewShapeWithEveryRow) {
    expect_ok(pgphase({"start", plan}));
    connect("new app")->execute("INSERT INTO users (id, email_address) VALUES (5002, 'n@x')");
    const CommandResult early = pgphase({"complete", plan});
    EXPECT_EQ(early.exit_code, 3) << early.err;
    EXPECT_NE(early.err.find("next allowed command: pgphase backfill"), std::string::npos)
        << early.err;

    expect_ok(pgphase({"backfill", plan}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email"), "0");
    expect_ok(pgphase({"complete", plan}));

    EXPECT_EQ(app_columns("users"), (std::vector<std::string>{"id", "name", "email_address"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "1001");
    EXPECT_EQ(scalar("SELECT email_address FROM users WHERE id = 7"), "user7@example.com");
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass "
                     "AND attname = 'email_address'"),
              "t");
    EXPECT_EQ(scalar("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = "
                     "'users'::regclass AND adnum = (SELECT attnum FROM pg_attribute WHERE "
                     "attrelid = 'users'::regclass AND attname = 'email_address')"),
              "'unknown'::text");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass "
                     "AND NOT tgisinternal "
                     "AND tgname NOT LIKE '\\_pgphase\\_written\\_%'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'users'::regclass "
                     "AND contype = 'c'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                     "p.pronamespace WHERE n.nspname = 'pgphase' AND p.proname NOT LIKE "
                     "'\\_pgphase\\_written\\_%' AND obj_description(p.oid, 'pg_proc') "
                     "IS DISTINCT FROM 'pgphase state store'"),
              "0");

    const CommandResult again = pgphase({"complete", plan});
    EXPECT_EQ(again.exit_code, 0) << "a finished complete reruns as a no-op: " << again.err;
    const CommandResult status = pgphase({"status", "--json"});
    EXPECT_NE(status.out.find("\"phase\": \"completed\""), std::string::npos) << status.out;
}

TEST_F(RenameColumn, CompleteRefusesWhileRowsAreNotBackfilledAndSaysHowMany) {
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"backfill", plan}));
    // Writes that bypass triggers (logical replication apply, session_replication_role =
    // replica) can leave rows out of step after the backfill.
    auto replica = connect("replica apply");
    replica->execute("SET session_replication_role = replica");
    replica->execute("UPDATE users SET email = 'bypass' WHERE id IN (4, 5, 6)");
    const CommandResult refused = pgphase({"complete", plan});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("3 rows of public.users are not yet backfilled"), std::string::npos)
        << refused.err;
    EXPECT_EQ(column_names("users"),
              (std::vector<std::string>{"id", "email", "name", "email_address"}));

    // As the hint says: backfill again (it sweeps the table anew), then complete.
    expect_ok(pgphase({"backfill", plan}));
    EXPECT_EQ(scalar("SELECT email_address FROM users WHERE id = 5"), "bypass");
    expect_ok(pgphase({"complete", plan}));
}

TEST_F(RenameColumn, RollbackFromExpandRestoresTheOriginalWithRowsWrittenMeanwhile) {
    expect_ok(pgphase({"start", plan}));
    connect("new app")->execute(
        "INSERT INTO users (id, email_address, name) VALUES (5002, 'n@x', 'new')");
    connect("new app")->execute("UPDATE users SET email_address = 'changed@x' WHERE id = 10");
    connect("old app")->execute("INSERT INTO users (id, email, name) VALUES (5001, 'o@x', 'old')");

    expect_ok(pgphase({"rollback", plan}));
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email", "name"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "1002");
    EXPECT_EQ(scalar("SELECT email FROM users WHERE id = 5002"), "n@x");
    EXPECT_EQ(scalar("SELECT email FROM users WHERE id = 10"), "changed@x");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass "
                     "AND NOT tgisinternal "
                     "AND tgname NOT LIKE '\\_pgphase\\_written\\_%'"),
              "0");
    const CommandResult status = pgphase({"status", "rename_users_email"});
    EXPECT_NE(status.out.find("rolled_back"), std::string::npos) << status.out;

    // A rolled-back migration can be started again from scratch.
    expect_ok(pgphase({"start", plan}));
    EXPECT_EQ(column_names("users"),
              (std::vector<std::string>{"id", "email", "name", "email_address"}));
}

TEST_F(RenameColumn, RollbackMidBackfillLosesNoRow) {
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"backfill", plan, "--max-batches", "3"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS NOT NULL"), "300");
    const CommandResult status = pgphase({"status"});
    EXPECT_NE(status.out.find("backfilling"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("300 rows in 3 batches"), std::string::npos) << status.out;

    connect("new app")->execute("UPDATE users SET email_address = 'late@x' WHERE id = 900");
    expect_ok(pgphase({"rollback", plan}));
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email", "name"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "1000");
    EXPECT_EQ(scalar("SELECT email FROM users WHERE id = 900"), "late@x");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.backfill_checkpoints"), "0");
}

TEST_F(RenameColumn, ResumedBackfillNeitherSkipsNorRepeatsABatch) {
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"backfill", plan, "--max-batches", "4"}));
    expect_ok(pgphase({"backfill", plan}));
    // Every row visited exactly once across both runs: 1000 rows, 10 batches of 100.
    EXPECT_EQ(scalar("SELECT rows_done || '/' || batches FROM pgphase.backfill_checkpoints"),
              "1000/10");
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email"), "0");
}

TEST_F(RenameColumn, RefusesAPlanThatChangedSinceStart) {
    expect_ok(pgphase({"start", plan}));
    const std::string edited =
        write_plan("rename", std::string(rename_plan) +
                                 "  - rename_column: {table: users, from: name, to: full_name}\n");
    const CommandResult result = pgphase({"backfill", edited});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(
        result.err.find("differs from the one migration \"rename_users_email\" was started with"),
        std::string::npos)
        << result.err;
}

TEST_F(RenameColumn, GivesUpWithExit4WhenALockIsHeldAndAppliesNothing) {
    const std::string impatient = write_plan("impatient", R"(
name: rename_users_email
settings: {lock_timeout: 100ms, lock_retries: 1}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    auto reader = connect("long reader");
    reader->execute("BEGIN");
    reader->execute("SELECT count(*) FROM users"); // holds ACCESS SHARE until COMMIT
    const CommandResult result = pgphase({"start", impatient});
    reader->execute("COMMIT");
    EXPECT_EQ(result.exit_code, 4) << result.err;
    EXPECT_NE(result.err.find("gave up after 2 attempts waiting for a lock on public.users"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email", "name"}));
    // Rerun once the reader is gone: it continues.
    expect_ok(pgphase({"start", impatient}));
}

TEST_F(RenameColumn, KilledStartResumesAndASecondRunnerIsRefused) {
    const std::string with_index = write_plan("with_index", R"(
name: rename_and_index
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
  - create_index: {table: users, name: users_name_idx, columns: [name]}
)");
    // A transaction holding an old snapshot makes CREATE INDEX CONCURRENTLY wait for it, so
    // we can kill pgphase there, after the rename committed and mid-build.
    auto blocker = connect("blocker");
    blocker->execute("BEGIN ISOLATION LEVEL REPEATABLE READ");
    blocker->execute("SELECT 1");
    const int pid = spawn_pgphase({"start", with_index});
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX "
                      "CONCURRENTLY%' AND wait_event_type = 'Lock'") == "1";
    })) << "pgphase never reached the index build";
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);

    // The dead process's backend still holds the migration lock: a second runner is refused.
    const CommandResult refused = pgphase({"start", with_index});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("is being run by backend pid"), std::string::npos) << refused.err;

    // Its connection goes away (as it would when the host dies); the build left an INVALID index.
    db().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name LIKE 'pgphase[%'");
    blocker->execute("COMMIT");
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
                      "'pgphase[%'") == "0";
    }));
    EXPECT_EQ(
        scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_name_idx'::regclass"),
        "f");
    const CommandResult status_mid = pgphase({"status"});
    EXPECT_NE(status_mid.out.find("expanding (1/6 steps done"), std::string::npos)
        << status_mid.out;

    const CommandResult resumed = pgphase({"start", with_index});
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("index.invalid_leftover"), std::string::npos) << resumed.err;
    EXPECT_EQ(
        scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_name_idx'::regclass"),
        "t");
    EXPECT_EQ(
        scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
               "AND table_name = 'users' AND column_name = 'email_address'"),
        "1");
    expect_ok(pgphase({"backfill", with_index}));
    expect_ok(pgphase({"complete", with_index}));
    EXPECT_EQ(app_columns("users"), (std::vector<std::string>{"id", "name", "email_address"}));
}

} // namespace
} // namespace pgphase::testing
