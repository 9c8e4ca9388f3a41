// The backfill tests' shared fixture: table, plan, progress and a killed run.
#include "tests/integration/backfill_support.hpp"

#include <csignal>

namespace pgphase::testing {

using namespace std::chrono_literals;

void BackfillTest::create_counted_users(const std::string& primary_key, int rows) {
    db().execute("CREATE TABLE users (id bigint NOT NULL, email text NOT NULL, amount integer "
                 "NOT NULL DEFAULT 7, touched integer NOT NULL DEFAULT 0" +
                 primary_key + ")");
    db().execute("INSERT INTO users (id, email) SELECT i, 'user' || i || '@example.com' "
                 "FROM generate_series(1, " +
                 std::to_string(rows) + ") i");
    // The backfill's writes are the ones that set pgphase.backfill.
    db().execute("CREATE FUNCTION count_touch() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN IF coalesce(current_setting('pgphase.backfill', true), '') <> '' THEN "
                 "NEW.touched := OLD.touched + 1; END IF; RETURN NEW; END $$");
    db().execute("CREATE TRIGGER a_count_touch BEFORE UPDATE ON users FOR EACH ROW "
                 "EXECUTE FUNCTION count_touch()");
}

std::string BackfillTest::slow_plan(const std::string& extra_settings) {
    return write_plan("slow", R"(
name: slow_rename
settings:
  backfill:
    batch_size: 500
    max_batch_size: 500
    max_rows_per_second: 5000
)" + extra_settings + R"(
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
}

std::int64_t BackfillTest::rows_done() {
    const std::string text =
        scalar("SELECT coalesce(sum(rows_done), 0) FROM pgphase.backfill_checkpoints");
    return text.empty() ? 0 : std::stoll(text);
}

void BackfillTest::kill_at(const std::string& plan, std::int64_t point) {
    const int pid = spawn_pgphase({"backfill", plan});
    ASSERT_TRUE(eventually([&] { return rows_done() >= point; })) << spawned_output();
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(wait_for_exit(pid, 10s));
    // The dead process's connections end with it; its batches in flight roll back.
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
                      "'pgphase[%'") == "0";
    }));
}

void BackfillTest::expect_every_row_written_once(const std::string& rows) {
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), rows);
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE touched <> 1"), "0")
        << "rows written more than once (or never): "
        << scalar("SELECT string_agg(id || ':' || touched, ' ') FROM (SELECT id, touched FROM "
                  "users WHERE touched <> 1 LIMIT 10) s");
}

} // namespace pgphase::testing
