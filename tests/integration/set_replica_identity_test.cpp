// set_replica_identity against a real PostgreSQL: the identity (what logical decoding logs of
// an old row) stays as it was through expand, complete sets it; rollback before complete leaves
// it as it was; an index PostgreSQL would refuse is refused before anything runs.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class SetReplicaIdentity : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, code text NOT NULL, note text)");
        db().execute("CREATE UNIQUE INDEX orders_code_key ON orders (code)");
        db().execute("CREATE UNIQUE INDEX orders_note_key ON orders (note)");
        db().execute("INSERT INTO orders SELECT g, 'c' || g, NULL FROM generate_series(1, 50) g");
    }
    // pg_class.relreplident and, for USING INDEX, the index.
    std::string identity() {
        return scalar(
            "SELECT c.relreplident::text || coalesce(' ' || (SELECT i.relname FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid AND "
            "x.indisreplident), '') FROM pg_class c WHERE c.oid = 'orders'::regclass");
    }
};

TEST_F(SetReplicaIdentity, CompleteSetsItAndNothingChangesBefore) {
    const std::string plan = write_plan("full", R"(
name: orders_identity
changes:
  - set_replica_identity: {table: orders, identity: index, index: orders_code_key}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    EXPECT_EQ(identity(), "d");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(identity(), "i orders_code_key");
    // Writes go on as before.
    connect("app")->execute("UPDATE orders SET note = 'x' WHERE id = 1");

    const std::string back = write_plan("back", R"(
name: orders_identity_full
changes:
  - set_replica_identity: {table: orders, identity: full}
)");
    ASSERT_EQ(pgphase({"start", back}).exit_code, 0);
    ASSERT_EQ(pgphase({"complete", back}).exit_code, 0);
    EXPECT_EQ(identity(), "f");
}

TEST_F(SetReplicaIdentity, RollbackBeforeCompleteLeavesItAsItWas) {
    const std::string plan = write_plan("nothing", R"(
name: orders_nothing
changes:
  - set_replica_identity: {table: orders, identity: nothing}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(identity(), "d");
}

TEST_F(SetReplicaIdentity, AnIndexOnANullableColumnIsRefusedBeforeAnythingRuns) {
    const std::string plan = write_plan("nullable", R"(
name: orders_note
changes:
  - set_replica_identity: {table: orders, identity: index, index: orders_note_key}
)");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find(R"(index "orders_note_key" of table "orders" cannot be the replica )"
                             R"(identity: its column "note" may be NULL)"),
              std::string::npos)
        << start.err;
    EXPECT_EQ(identity(), "d");
}

} // namespace
} // namespace pgphase::testing
