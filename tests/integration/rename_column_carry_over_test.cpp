// rename_column of a column with indexes and constraints: they are built again on the new
// column (indexes concurrently after the backfill, CHECK and foreign keys NOT VALID then
// VALIDATE, unique constraints USING INDEX at contract) and keep their names, instead of
// being refused. Rollback removes what was built and leaves the originals.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

const char* carry_plan = R"(
name: rename_with_dependents
settings: {backfill: {batch_size: 100}}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
  - rename_column: {table: users, from: org_id, to: organization_id, method: copy}
)";

class RenameColumnCarryOver : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orgs (id integer PRIMARY KEY)");
        db().execute("INSERT INTO orgs SELECT generate_series(1, 5)");
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL "
                     "CONSTRAINT users_email_check CHECK (email LIKE '%@%') "
                     "CONSTRAINT users_email_key UNIQUE, "
                     "org_id integer REFERENCES orgs (id))");
        db().execute("CREATE INDEX users_lower_email_idx ON users (lower(email))");
        db().execute("INSERT INTO users SELECT i, 'u' || i || '@x', 1 + i % 5 "
                     "FROM generate_series(1, 300) i");
        plan = write_plan("carry", carry_plan);
    }

    std::string definitions() {
        return scalar("SELECT string_agg(d, E'\\n' ORDER BY d) FROM ("
                      "SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index "
                      "WHERE indrelid = 'users'::regclass UNION ALL "
                      "SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated "
                      "FROM pg_constraint WHERE conrelid = 'users'::regclass) s");
    }

    std::string plan;
};

TEST_F(RenameColumnCarryOver, IndexesAndConstraintsFollowTheNewNameAndKeepTheirOwn) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("new app")->execute(
        "INSERT INTO users (id, email_address, organization_id) VALUES (1001, 'n@x', 2)");
    connect("old app")->execute("INSERT INTO users (id, email, org_id) VALUES (1002, 'o@x', 3)");
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;

    EXPECT_EQ(app_columns("users"),
              (std::vector<std::string>{"id", "email_address", "organization_id"}));
    EXPECT_EQ(definitions(),
              "CREATE INDEX users_lower_email_idx ON public.users USING btree "
              "(lower(email_address))\n"
              "CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email_address)\n"
              "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)\n"
              "users_email_check CHECK ((email_address ~~ '%@%'::text)) true\n"
              "users_email_key UNIQUE (email_address) true\n"
              "users_org_id_fkey FOREIGN KEY (organization_id) REFERENCES orgs(id) true\n"
              "users_pkey PRIMARY KEY (id) true");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "302");
    EXPECT_THROW(db().execute("INSERT INTO users (id, email_address) VALUES (2000, 'u7@x')"),
                 orchestrator::DatabaseError);
    EXPECT_THROW(db().execute("INSERT INTO users (id, email_address) VALUES (2001, 'no-at')"),
                 orchestrator::DatabaseError);
    EXPECT_THROW(db().execute("INSERT INTO users (id, email_address, organization_id) "
                              "VALUES (2002, 'a@x', 99)"),
                 orchestrator::DatabaseError);
}

TEST_F(RenameColumnCarryOver, RollbackAfterBackfillLeavesOnlyTheOriginals) {
    const std::string before = definitions();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    connect("new app")->execute("UPDATE users SET email_address = 'late@x' WHERE id = 9");
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email", "org_id"}));
    EXPECT_EQ(definitions(), before);
    EXPECT_EQ(scalar("SELECT email FROM users WHERE id = 9"), "late@x");
}

TEST_F(RenameColumnCarryOver, AUniqueExpressionIndexIsRebuiltValidOnTheNewColumn) {
    db().execute("ALTER TABLE users DROP CONSTRAINT users_email_key");
    db().execute("CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    EXPECT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                     "'_pgphase_new_users_email_lower_key'::regclass"),
              "t");
}

} // namespace
} // namespace pgphase::testing
