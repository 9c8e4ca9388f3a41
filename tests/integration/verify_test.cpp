// pgphase verify: read-only batches comparing every row with what the plan's expressions give.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

TEST_F(DatabaseTest, VerifyReportsUnfilledRowsThenNoneAndNamesTheKeysThatDiffer) {
    db().execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)");
    db().execute("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 25000) i");
    const std::string plan = write_plan("verify", R"(
name: verify_rename
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    const CommandResult not_started = pgphase({"verify", plan});
    EXPECT_EQ(not_started.exit_code, 3) << not_started.err;

    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("new app")->execute("UPDATE users SET email_address = 'new' WHERE id = 3");
    const CommandResult before = pgphase({"verify", plan});
    EXPECT_EQ(before.exit_code, 1) << before.err;
    // Row 3 was synced by the trigger; the other 24999 wait for the backfill.
    EXPECT_NE(before.out.find("public.users: 25000 rows checked, 24999 mismatches"),
              std::string::npos)
        << before.out;
    EXPECT_NE(before.out.find("  key [\"1\"]"), std::string::npos) << before.out;
    EXPECT_NE(before.out.find("... and 24989 more"), std::string::npos) << before.out;

    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    const CommandResult after = pgphase({"verify", plan});
    EXPECT_EQ(after.exit_code, 0) << after.err;
    EXPECT_NE(after.out.find("public.users: 25000 rows checked, 0 mismatches"), std::string::npos)
        << after.out;

    auto replica = connect("replica apply");
    replica->execute("SET session_replication_role = replica");
    replica->execute("UPDATE users SET email = 'bypass' WHERE id IN (12345, 20001)");
    const CommandResult drift = pgphase({"verify", plan});
    EXPECT_EQ(drift.exit_code, 1) << drift.err;
    EXPECT_NE(drift.out.find("2 mismatches"), std::string::npos) << drift.out;
    EXPECT_NE(drift.out.find("  key [\"12345\"]\n  key [\"20001\"]"), std::string::npos)
        << drift.out;
}

// A table of some 3,000 pages (24 MB), with --whole-table-timeout 0, is read in batches by two
// sessions, each over half the pages: the counts are the table's, and the keys that differ are
// listed in page order from both halves, as one session (--sessions 1) lists them, and as the
// default lists them, which reads the table in one statement; a whole-table read that runs past
// its timeout falls back to the batches.
TEST_F(DatabaseTest, VerifyReadsABigTableWithTwoSessionsAndListsTheKeysInPageOrder) {
    db().execute("CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, payload text)");
    db().execute("INSERT INTO events SELECT i, 'k' || i, repeat('x', 200) "
                 "FROM generate_series(1, 90000) i");
    const std::string plan = write_plan("verify_big", R"(
name: verify_big
changes:
  - rename_column: {table: events, from: kind, to: event_kind, method: copy}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    ASSERT_GT(std::stoll(scalar("SELECT pg_relation_size('events') / 8192")), 2048);

    auto replica = connect("replica apply");
    replica->execute("SET session_replication_role = replica");
    replica->execute("UPDATE events SET kind = 'bypass' WHERE id IN (7, 88000)");
    const std::vector<std::vector<std::string>> ways = {
        {"--sessions", "2", "--whole-table-timeout", "0"},
        {"--sessions", "1", "--whole-table-timeout", "0"},
        {"--whole-table-timeout", "1ms"},
        {}};
    for (const auto& way : ways) {
        std::vector<std::string> args = {"verify", plan};
        args.insert(args.end(), way.begin(), way.end());
        const CommandResult drift = pgphase(args);
        const std::string said = ::testing::PrintToString(way) + ": " + drift.out;
        EXPECT_EQ(drift.exit_code, 1) << drift.err;
        EXPECT_NE(drift.out.find("public.events: 90000 rows checked, 2 mismatches"),
                  std::string::npos)
            << said;
        EXPECT_NE(drift.out.find("  key [\"7\"]\n  key [\"88000\"]"), std::string::npos) << said;
        EXPECT_EQ(drift.err.find("verify.in_batches") != std::string::npos,
                  way.size() == 2 && way[1] == "1ms")
            << said << drift.err;
    }
    const CommandResult bad = pgphase({"verify", plan, "--sessions", "0"});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    const CommandResult no_time = pgphase({"verify", plan, "--whole-table-timeout", "long"});
    EXPECT_EQ(no_time.exit_code, 2) << no_time.err;
    EXPECT_NE(no_time.err.find("--whole-table-timeout \"long\" is not a duration"),
              std::string::npos)
        << no_time.err;
}

} // namespace
} // namespace pgphase::testing
