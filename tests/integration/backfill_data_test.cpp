// The backfill operation against a real PostgreSQL: rows matching `where` get the new values
// in batches, others are untouched, a rerun writes nothing, verify agrees, empty tables work.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

const char* lowercase_plan = R"(
name: status_lowercase
settings: {backfill: {batch_size: 40}}
changes:
  - backfill:
      table: orders
      set: {status: lower(status), note: "'normalised'"}
      where: status <> lower(status)
)";

class BackfillData : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text, note text)");
        // Every 3rd row is upper case: 100 of 300.
        db().execute("INSERT INTO orders SELECT i, CASE WHEN i % 3 = 0 THEN 'OPEN' ELSE 'open' "
                     "END, NULL FROM generate_series(1, 300) i");
        plan = write_plan("lowercase", lowercase_plan);
    }
    std::string plan;
};

TEST_F(BackfillData, UpdatesOnlyRowsMatchingWhereAndARerunWritesNothing) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult before = pgphase({"verify", plan});
    EXPECT_EQ(before.exit_code, 1) << before.out;
    EXPECT_NE(before.out.find("300 rows checked, 100 mismatches"), std::string::npos) << before.out;

    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE status = 'open'"), "300");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE note = 'normalised'"), "100");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE note IS NULL"), "200"); // outside where
    const CommandResult after = pgphase({"verify", plan});
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    EXPECT_NE(after.out.find("300 rows checked, 0 mismatches"), std::string::npos) << after.out;

    // Nothing is pending, so a rerun writes no row: xmin stays as it was.
    const std::string xmins = scalar("SELECT string_agg(xmin::text, ',' ORDER BY id) FROM orders");
    const CommandResult again = pgphase({"backfill", plan});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(scalar("SELECT string_agg(xmin::text, ',' ORDER BY id) FROM orders"), xmins);
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "300");
}

TEST_F(BackfillData, CompleteRefusesWhileOldWritersAddRowsThatStillNeedIt) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO orders VALUES (1001, 'CLOSED', NULL)");
    const CommandResult complete = pgphase({"complete", plan});
    EXPECT_EQ(complete.exit_code, 3) << complete.err;
    EXPECT_NE(complete.err.find("1 rows of public.orders are not yet backfilled"),
              std::string::npos)
        << complete.err;
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT status FROM orders WHERE id = 1001"), "closed");
    EXPECT_EQ(pgphase({"complete", plan}).exit_code, 0);
}

TEST_F(BackfillData, WorksOnAnEmptyTable) {
    db().execute("TRUNCATE orders");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    const CommandResult verify = pgphase({"verify", plan});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_EQ(pgphase({"complete", plan}).exit_code, 0);
}

} // namespace
} // namespace pgphase::testing
