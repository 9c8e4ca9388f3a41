// change_type against a real PostgreSQL: old (text/int) and new (jsonb/bigint) writers both
// work during expand and see each other's rows; complete swaps the shadow columns in with
// their default, NOT NULL, indexes and constraints; rollback restores the original with the
// rows written meanwhile; a value `up` cannot convert stops the backfill naming its row;
// binary-compatible changes copy nothing; empty tables work; a column changed twice is refused.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

namespace pgphase::testing {
namespace {

const char* types_plan = R"(
name: events_types
settings:
  lock_timeout: 1s
  lock_retries: 3
  # target_batch_time keeps every batch at 100 rows on a slow (sanitizer, noisy) machine:
  # these tests count batches.
  backfill: {batch_size: 100, max_batch_size: 100, target_batch_time: 10s}
changes:
  - change_type: {table: events, column: payload, type: jsonb, up: "payload::jsonb", down: "payload::text"}
  - change_type: {table: events, column: amount, type: bigint}
)";

class ChangeType : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id integer PRIMARY KEY)");
        db().execute("INSERT INTO users SELECT generate_series(1, 10)");
        db().execute("CREATE TABLE events (id bigserial PRIMARY KEY, "
                     "payload text NOT NULL DEFAULT '{}', "
                     "amount integer CONSTRAINT events_amount_check CHECK (amount > 0), "
                     "kind varchar(20), user_id integer REFERENCES users (id))");
        db().execute("CREATE INDEX events_amount_idx ON events (amount) WHERE amount > 10");
        db().execute("ALTER TABLE events ADD CONSTRAINT events_amount_key UNIQUE (amount)");
        db().execute("INSERT INTO events (payload, amount, kind, user_id) "
                     "SELECT '{\"n\": ' || i || '}', i, 'k' || i, 1 + i % 10 "
                     "FROM generate_series(1, 500) i");
        plan = write_plan("types", types_plan);
    }

    void expect_ok(const CommandResult& result) {
        EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
    }

    std::string column_type(const std::string& column) {
        return scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                      "'events'::regclass AND attname = '" +
                      column + "'");
    }

    std::string plan;
};

TEST_F(ChangeType, OldAndNewClientsSeeEachOthersWritesDuringExpand) {
    expect_ok(pgphase({"start", plan}));
    auto old_app = connect("old app");
    auto new_app = connect("new app");

    old_app->execute(
        "INSERT INTO events (id, payload, amount) VALUES (1001, '{\"old\": 1}', 1001)");
    new_app->execute("INSERT INTO events (id, _pgphase_new_payload, _pgphase_new_amount) "
                     "VALUES (1002, '{\"new\": 2}', 1002)");
    old_app->execute("UPDATE events SET payload = '{\"o\": true}', amount = 700 WHERE id = 1");
    new_app->execute("UPDATE events SET _pgphase_new_payload = '[1, 2]' WHERE id = 2");
    new_app->execute("INSERT INTO events (id, _pgphase_new_amount) VALUES (1003, 1003)");

    // Each client reads the other's writes in its own type.
    EXPECT_EQ(new_app
                  ->query("SELECT _pgphase_new_payload->>'old', _pgphase_new_amount "
                          "FROM events WHERE id = 1001")
                  .text(0, 0),
              "1");
    EXPECT_EQ(scalar("SELECT _pgphase_new_amount FROM events WHERE id = 1001"), "1001");
    EXPECT_EQ(old_app->query("SELECT payload FROM events WHERE id = 1002").text(0, 0),
              "{\"new\": 2}");
    EXPECT_EQ(
        new_app->query("SELECT _pgphase_new_payload->>'o' FROM events WHERE id = 1").text(0, 0),
        "true");
    EXPECT_EQ(scalar("SELECT _pgphase_new_amount FROM events WHERE id = 1"), "700");
    EXPECT_EQ(old_app->query("SELECT payload FROM events WHERE id = 2").text(0, 0), "[1, 2]");
    // The old column's default reaches rows the new version inserts without the column.
    EXPECT_EQ(scalar("SELECT _pgphase_new_payload::text FROM events WHERE id = 1003"), "{}");
    // A new-version value the old type cannot hold fails that write, it is not truncated.
    EXPECT_THROW(new_app->execute("INSERT INTO events (id, _pgphase_new_amount) "
                                  "VALUES (1006, 3000000000)"),
                 orchestrator::DatabaseError);
    // The old version's constraints still hold for its writes.
    EXPECT_THROW(old_app->execute("INSERT INTO events (id, payload) VALUES (1004, NULL)"),
                 orchestrator::DatabaseError);
    // A write the new type cannot hold names the row.
    try {
        old_app->execute("INSERT INTO events (id, payload) VALUES (1005, 'not json')");
        ADD_FAILURE() << "an unconvertible old-version write was accepted";
    } catch (const orchestrator::DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("for the row (id)=(1005)"), std::string::npos)
            << e.what();
    }
}

TEST_F(ChangeType, CompleteSwapsInTheNewTypesWithDefaultNotNullIndexesAndConstraints) {
    expect_ok(pgphase({"start", plan}));
    connect("new app")->execute(
        "INSERT INTO events (id, _pgphase_new_payload, _pgphase_new_amount) "
        "VALUES (2001, '{\"new\": 1}', 2001)");
    expect_ok(pgphase({"backfill", plan}));
    EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE _pgphase_new_payload IS NULL "
                     "OR _pgphase_new_amount IS NULL"),
              "0");
    const std::string relfilenode = scalar("SELECT relfilenode FROM pg_class WHERE oid = "
                                           "'events'::regclass");
    expect_ok(pgphase({"complete", plan}));

    EXPECT_EQ(app_columns("events"),
              (std::vector<std::string>{"id", "kind", "user_id", "payload", "amount"}));
    EXPECT_EQ(scalar("SELECT relfilenode FROM pg_class WHERE oid = 'events'::regclass"),
              relfilenode)
        << "contract must not rewrite the table";
    EXPECT_EQ(column_type("payload"), "jsonb");
    EXPECT_EQ(column_type("amount"), "bigint");
    EXPECT_EQ(scalar("SELECT count(*) FROM events"), "501");
    EXPECT_EQ(scalar("SELECT payload->>'n' FROM events WHERE id = 7"), "7");
    EXPECT_EQ(scalar("SELECT amount FROM events WHERE id = 7"), "7");
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'events'::regclass "
                     "AND attname = 'payload'"),
              "t");
    db().execute("INSERT INTO events (id, amount) VALUES (3001, 3001)");
    EXPECT_EQ(scalar("SELECT payload::text FROM events WHERE id = 3001"), "{}");
    // Indexes and constraints are back under their names, on the new column.
    EXPECT_EQ(scalar("SELECT pg_get_indexdef('events_amount_idx'::regclass)"),
              "CREATE INDEX events_amount_idx ON public.events USING btree (amount) WHERE "
              "(amount > 10)");
    EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                     "'events_amount_key'"),
              "UNIQUE (amount)");
    EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint "
                     "WHERE conname = 'events_amount_check'"),
              "CHECK ((amount > 0)) true");
    EXPECT_THROW(db().execute("INSERT INTO events (id, amount) VALUES (3002, 7)"),
                 orchestrator::DatabaseError);
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                     "AND NOT tgisinternal "
                     "AND tgname NOT LIKE '\\_pgphase\\_written\\_%'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                     "p.pronamespace WHERE n.nspname = 'pgphase' AND p.proname NOT LIKE "
                     "'\\_pgphase\\_written\\_%' AND obj_description(p.oid, 'pg_proc') "
                     "IS DISTINCT FROM 'pgphase state store'"),
              "0");
}

TEST_F(ChangeType, RollbackFromExpandRestoresTheOriginalWithRowsWrittenMeanwhile) {
    expect_ok(pgphase({"start", plan}));
    connect("new app")->execute("INSERT INTO events (id, _pgphase_new_payload, "
                                "_pgphase_new_amount) VALUES (2001, '{\"new\": 1}', 2001)");
    connect("new app")->execute("UPDATE events SET _pgphase_new_amount = 999 WHERE id = 9");
    connect("old app")->execute(
        "INSERT INTO events (id, payload, amount) VALUES (2002, 'null', 2002)");

    expect_ok(pgphase({"rollback", plan}));
    EXPECT_EQ(column_names("events"),
              (std::vector<std::string>{"id", "payload", "amount", "kind", "user_id"}));
    EXPECT_EQ(column_type("payload"), "text");
    EXPECT_EQ(scalar("SELECT count(*) FROM events"), "502");
    EXPECT_EQ(scalar("SELECT payload FROM events WHERE id = 2001"), "{\"new\": 1}");
    EXPECT_EQ(scalar("SELECT amount FROM events WHERE id = 9"), "999");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                     "p.pronamespace WHERE n.nspname = 'pgphase' AND p.proname NOT LIKE "
                     "'\\_pgphase\\_written\\_%' AND obj_description(p.oid, 'pg_proc') "
                     "IS DISTINCT FROM 'pgphase state store'"),
              "0");
}

TEST_F(ChangeType, RollbackAfterBackfillDropsTheRebuiltIndexesAndConstraints) {
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"backfill", plan}));
    connect("new app")->execute("UPDATE events SET _pgphase_new_payload = '{\"late\": 1}' "
                                "WHERE id = 300");
    expect_ok(pgphase({"rollback", plan}));
    EXPECT_EQ(column_names("events"),
              (std::vector<std::string>{"id", "payload", "amount", "kind", "user_id"}));
    EXPECT_EQ(scalar("SELECT payload FROM events WHERE id = 300"), "{\"late\": 1}");
    EXPECT_EQ(scalar("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN "
                     "pg_index x ON x.indexrelid = c.oid WHERE x.indrelid = 'events'::regclass"),
              "events_amount_idx,events_amount_key,events_pkey");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'events'::regclass"),
              "4");
}

TEST_F(ChangeType, RollbackMidBackfillLosesNoRow) {
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"backfill", plan, "--max-batches", "2"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE _pgphase_new_payload IS NOT NULL"), "200");
    connect("new app")->execute("UPDATE events SET _pgphase_new_payload = '{\"mid\": 1}', "
                                "_pgphase_new_amount = 4000 WHERE id = 450");
    connect("old app")->execute("DELETE FROM events WHERE id = 451");
    expect_ok(pgphase({"rollback", plan}));
    EXPECT_EQ(column_names("events"),
              (std::vector<std::string>{"id", "payload", "amount", "kind", "user_id"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM events"), "499");
    EXPECT_EQ(scalar("SELECT payload || ' ' || amount FROM events WHERE id = 450"),
              "{\"mid\": 1} 4000");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.backfill_checkpoints"), "0");
}

TEST_F(ChangeType, AValueUpCannotConvertStopsTheBackfillNamingItsRowAndARerunResumes) {
    db().execute("UPDATE events SET payload = 'not json' WHERE id = 250");
    expect_ok(pgphase({"start", plan}));
    const CommandResult failed = pgphase({"backfill", plan});
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    EXPECT_TRUE(
        holds_doc_output(failed.err, doc_block("docs/operations.md", "change-type-up-error")));
    // The failing batch (rows 201-300) was rolled back whole; the ones before it are kept.
    EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE _pgphase_new_payload IS NOT NULL"), "200");
    EXPECT_EQ(pgphase({"complete", plan}).exit_code, 3);

    connect("old app")->execute("UPDATE events SET payload = '{\"fixed\": true}' WHERE id = 250");
    expect_ok(pgphase({"backfill", plan}));
    EXPECT_EQ(scalar("SELECT rows_done FROM pgphase.backfill_checkpoints ORDER BY step LIMIT 1"),
              "500");
    expect_ok(pgphase({"complete", plan}));
    EXPECT_EQ(scalar("SELECT payload->>'fixed' FROM events WHERE id = 250"), "true");
}

TEST_F(ChangeType, ABinaryCompatibleChangeIsDoneInPlaceWithoutCopyingTheTable) {
    const std::string widen = write_plan("widen", R"(
name: widen_kind
changes:
  - change_type: {table: events, column: kind, type: text}
)");
    const CommandResult planned = pgphase({"plan", widen});
    EXPECT_EQ(planned.exit_code, 0) << planned.err;
    EXPECT_NE(planned.out.find("metadata only, no copy of the table (varchar(20) to text is "
                               "binary compatible)"),
              std::string::npos)
        << planned.out;
    const std::string relfilenode =
        scalar("SELECT relfilenode FROM pg_class WHERE oid = 'events'::regclass");
    expect_ok(pgphase({"start", widen}));
    EXPECT_EQ(column_type("kind"), "text");
    EXPECT_EQ(scalar("SELECT relfilenode FROM pg_class WHERE oid = 'events'::regclass"),
              relfilenode);
    EXPECT_EQ(column_names("events"),
              (std::vector<std::string>{"id", "payload", "amount", "kind", "user_id"}));
    expect_ok(pgphase({"complete", widen}));
    EXPECT_EQ(scalar("SELECT kind FROM events WHERE id = 3"), "k3");
}

TEST_F(ChangeType, RollbackKeepsAnInPlaceWideningAndTheRowsWrittenWithIt) {
    const std::string widen = write_plan("widen", R"(
name: widen_kind
changes:
  - change_type: {table: events, column: kind, type: varchar(40)}
)");
    expect_ok(pgphase({"start", widen}));
    connect("new app")->execute("UPDATE events SET kind = repeat('x', 30) WHERE id = 4");
    expect_ok(pgphase({"rollback", widen}));
    // Narrowing back would check every row under ACCESS EXCLUSIVE and fail on this one.
    EXPECT_EQ(column_type("kind"), "character varying(40)");
    EXPECT_EQ(scalar("SELECT length(kind) FROM events WHERE id = 4"), "30");
}

TEST_F(ChangeType, WorksOnAnEmptyTable) {
    db().execute("TRUNCATE events");
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"backfill", plan}));
    expect_ok(pgphase({"complete", plan}));
    EXPECT_EQ(column_type("payload"), "jsonb");
    EXPECT_EQ(column_type("amount"), "bigint");
}

TEST_F(ChangeType, ForeignKeysAreCarriedOverAndIncomingOnesRefused) {
    const std::string fk = write_plan("fk", R"(
name: fk_types
changes:
  - change_type: {table: events, column: user_id, type: bigint}
)");
    expect_ok(pgphase({"start", fk}));
    expect_ok(pgphase({"backfill", fk}));
    expect_ok(pgphase({"complete", fk}));
    EXPECT_EQ(column_type("user_id"), "bigint");
    EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint "
                     "WHERE conname = 'events_user_id_fkey'"),
              "FOREIGN KEY (user_id) REFERENCES users(id) true");

    const std::string incoming = write_plan("incoming", R"(
name: users_id_type
changes:
  - change_type: {table: users, column: id, type: bigint}
)");
    const CommandResult refused = pgphase({"start", incoming});
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("cannot change the type of column \"users\".\"id\": it is part of "
                               "the primary key"),
              std::string::npos)
        << refused.err;
}

TEST_F(ChangeType, TwoChangesOfOneColumnInOnePlanAreRefusedNamingTheFirst) {
    const std::string twice = write_plan("twice", R"(
name: twice
changes:
  - rename_column: {table: events, from: amount, to: total}
  - change_type: {table: events, column: total, type: bigint}
)");
    const CommandResult refused = pgphase({"start", twice});
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(
        refused.err.find("column \"events\".\"total\" is already changed by rename_column at"),
        std::string::npos)
        << refused.err;
    EXPECT_EQ(column_names("events"),
              (std::vector<std::string>{"id", "payload", "amount", "kind", "user_id"}));
}

} // namespace
} // namespace pgphase::testing
