// add_foreign_key against a real PostgreSQL: index built concurrently, NOT VALID at start,
// VALIDATE in backfill, orphans reported by key, rollback dropping both without losing a row.
#include "tests/integration/constraint_support.hpp"

namespace pgphase::testing {
namespace {

class AddForeignKey : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY, name text)");
        db().execute("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 10) i");
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int)");
        db().execute("INSERT INTO orders SELECT i, CASE WHEN i % 20 = 0 THEN NULL ELSE i % 10 + 1 "
                     "END, i FROM generate_series(1, 100) i");
        plan = write_plan("fk", R"yaml(
name: orders_user_fk
changes:
  - add_foreign_key:
      table: orders
      columns: [user_id]
      references: {table: users}
      on_delete: cascade
      index: true
)yaml");
    }

    std::string constraint_state() { return constraint_validity(db(), "orders_user_id_fkey"); }
    std::string index_state() { return index_validity(db(), "orders_user_id_idx"); }

    std::string plan;
};

TEST_F(AddForeignKey, BothVersionsWriteDuringExpandAndCompleteLeavesAValidatedCascadingKey) {
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    EXPECT_EQ(index_state(), "true");
    EXPECT_EQ(constraint_state(), "false");
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    old_app->execute("INSERT INTO orders VALUES (1001, 3, 1)");
    new_app->execute("INSERT INTO orders VALUES (1002, 4, 1)");
    EXPECT_EQ(old_app->query("SELECT count(*) FROM orders WHERE id > 1000").text(0, 0), "2");
    EXPECT_EQ(new_app->query("SELECT count(*) FROM orders WHERE id > 1000").text(0, 0), "2");
    EXPECT_EQ(sqlstate_of(*old_app, "INSERT INTO orders VALUES (1003, 99, 1)"), "23503");

    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(constraint_state(), "true");
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                     "'orders_user_id_fkey'"),
              "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "102");
    db().execute("DELETE FROM users WHERE id = 3");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE user_id = 3"), "0");
}

TEST_F(AddForeignKey, OrphansFailValidateWithCountAndKeysThenRollbackDropsKeyAndIndex) {
    db().execute("UPDATE orders SET user_id = 99 WHERE id IN (33, 66)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO orders VALUES (1001, 3, 1)");
    const CommandResult backfill = pgphase({"backfill", plan});
    EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
    EXPECT_NE(backfill.err.find("2 rows of public.orders violate it, e.g."), std::string::npos)
        << backfill.err;
    EXPECT_NE(backfill.err.find("(id)=(33): (user_id)=(99)"), std::string::npos) << backfill.err;
    EXPECT_NE(backfill.err.find("(id)=(66): (user_id)=(99)"), std::string::npos) << backfill.err;
    EXPECT_EQ(pgphase({"complete", plan}).exit_code, 3);

    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "absent");
    EXPECT_EQ(index_state(), "absent");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "101");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1003, 99, 1)"), "ok");
}

TEST_F(AddForeignKey, RollbackAfterValidateDropsKeyAndIndex) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    connect("new app")->execute("INSERT INTO orders VALUES (1001, 3, 1)");
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "absent");
    EXPECT_EQ(index_state(), "absent");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "101");
}

TEST_F(AddForeignKey, WorksOnEmptyTables) {
    db().execute("TRUNCATE orders, users");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "true");
}

TEST_F(AddForeignKey, ReferencingColumnsWithoutAUniqueKeyAreRefusedAtStart) {
    const std::string bad = write_plan("bad", R"yaml(
name: orders_bad_fk
changes:
  - add_foreign_key: {table: orders, columns: [total], references: {table: users, columns: [name]}}
)yaml");
    const CommandResult start = pgphase({"start", bad});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find(R"(no unique constraint on "users" ("name") for foreign key)"),
              std::string::npos)
        << start.err;
    EXPECT_EQ(constraint_state(), "absent");
}

} // namespace
} // namespace pgphase::testing
