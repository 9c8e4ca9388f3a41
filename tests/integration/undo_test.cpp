// `pgphase undo` (docs/undo.md), checked as a user would: a completed migration that renamed,
// retyped and dropped columns and dropped a table runs backwards under app traffic; every row
// written before and after its contract is intact, the old app version works again, and the
// schema is the one before the migration (pg_dump). Undo refuses, before touching anything, what
// it cannot bring back.
#include "tests/integration/support.hpp"

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

namespace pgphase::testing {
namespace {

using namespace std::chrono_literals;

const char* reshape_orders = R"(
name: reshape_orders
changes:
  - rename_column: {table: orders, from: customer, to: customer_name}
  - change_type: {table: orders, column: qty, type: bigint, up: "qty::bigint * 10", down: "(qty / 10)::int"}
  - drop_column: {table: orders, column: note, down: "'n/a'"}
  - drop_table: {table: audit}
)";

std::string pg_bin(const std::string& tool) {
    const char* bin = std::getenv("PGPHASE_TEST_PGBIN");
    return (bin != nullptr && *bin != '\0' ? std::string(bin) + "/" : std::string()) + tool;
}

// An app client writing in a loop until stopped, through `search_path`; it counts its queries
// and keeps the first error.
class App {
public:
    App(std::unique_ptr<orchestrator::Session> session, const std::string& search_path,
        std::vector<std::string> statements)
        : m_session(std::move(session))
        , m_statements(std::move(statements)) {
        m_session->execute("SET search_path TO " + search_path);
        m_thread = std::thread([this] { loop(); });
    }
    App(const App&) = delete;
    App& operator=(const App&) = delete;
    ~App() { stop(); }

    void stop() {
        m_stop = true;
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    int queries() const { return m_queries; }
    std::string error() const {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_error;
    }

private:
    void loop() {
        for (int i = 0; !m_stop; ++i) {
            const std::string& statement =
                m_statements[static_cast<std::size_t>(i) % m_statements.size()];
            try {
                m_session->execute(statement);
                ++m_queries;
            } catch (const std::exception& e) {
                const std::lock_guard<std::mutex> lock(m_mutex);
                if (m_error.empty()) {
                    m_error = statement + ": " + e.what();
                }
                m_stop = true;
            }
            std::this_thread::sleep_for(2ms);
        }
    }

    std::unique_ptr<orchestrator::Session> m_session;
    std::vector<std::string> m_statements;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_queries{0};
    mutable std::mutex m_mutex;
    std::string m_error;
    std::thread m_thread;
};

// The old app version knows customer, qty (int) and note; the new one customer_name and qty
// (bigint, ten times the old value) and no note. Each writes and updates rows of its own,
// tagged, so that the rows written before a point can be checked.
std::vector<std::string> old_app(const std::string& tag) {
    return {
        "INSERT INTO orders (customer, qty, note) VALUES ('" + tag + "', 3, 'by the old app')",
        "UPDATE orders SET qty = qty + 1 WHERE id = (SELECT max(id) FROM orders WHERE customer = "
        "'" +
            tag + "')",
        "SELECT customer, qty, note FROM orders WHERE id = 3",
        "INSERT INTO audit (order_id, what) VALUES (1, '" + tag + "')",
    };
}
std::vector<std::string> new_app(const std::string& tag) {
    return {
        "INSERT INTO orders (customer_name, qty) VALUES ('" + tag + "', 40)",
        "UPDATE orders SET qty = qty + 10 WHERE id = (SELECT max(id) FROM orders WHERE "
        "customer_name = '" +
            tag + "')",
        "SELECT customer_name, qty FROM orders WHERE id = 3",
    };
}

class Undo : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, "
                     "qty integer NOT NULL DEFAULT 1 CHECK (qty > 0), "
                     "note text NOT NULL DEFAULT 'none' CHECK (length(note) < 60), "
                     "created timestamptz DEFAULT now())");
        db().execute("CREATE INDEX orders_note_idx ON orders (note)");
        db().execute("CREATE INDEX orders_customer_idx ON orders (customer)");
        db().execute("INSERT INTO orders (customer, qty, note) SELECT 'c' || i, i, 'note ' || i "
                     "FROM generate_series(1, 300) i");
        db().execute("CREATE TABLE audit (id serial PRIMARY KEY, order_id int NOT NULL "
                     "REFERENCES orders (id), what text)");
        db().execute("INSERT INTO audit (order_id, what) SELECT i, 'a' || i "
                     "FROM generate_series(1, 40) i");
    }

    // The public schema as pg_dump writes it, without its random \restrict key.
    std::string schema_dump() {
        const CommandResult dump =
            run_script(dir(), pg_bin("pg_dump") + " --schema-only -n public " + shell_quote(dsn()) +
                                  " | grep -v '^\\\\\\(un\\)\\?restrict'");
        EXPECT_EQ(dump.exit_code, 0) << dump.out;
        return dump.out;
    }
};

TEST_F(Undo, RunsACompletedMigrationBackwardsUnderTrafficAndLosesNoRow) {
    const std::string before = schema_dump();
    const std::string plan = write_plan("reshape_orders", reshape_orders);

    // Forward, under both app versions.
    {
        App old_version(connect("app"), "public", old_app("old app"));
        ASSERT_EQ(pgphase({"advance", plan, "--to", "backfill"}).exit_code, 0);
        App new_version(connect("app"), "public_reshape_orders", new_app("new app"));
        ASSERT_TRUE(eventually([&] { return new_version.queries() > 20; }));
        old_version.stop();
        EXPECT_EQ(old_version.error(), "");
        const CommandResult completed = pgphase({"complete", plan});
        ASSERT_EQ(completed.exit_code, 0) << completed.err;
        ASSERT_TRUE(eventually([&] { return new_version.queries() > 60; }));
        new_version.stop();
        EXPECT_EQ(new_version.error(), "");
    }
    // What each row must hold after the undo: the value before contract for rows written until
    // then, and `down` of what the new app wrote since.
    db().execute("INSERT INTO orders (customer_name, qty) VALUES ('after contract', 70)");
    db().execute("UPDATE orders SET qty = 90 WHERE id = 5");
    const std::string expected =
        scalar("SELECT md5(string_agg(id || ':' || customer_name || ':' || (qty / 10)::int, ',' "
               "ORDER BY id)) FROM orders");

    // Backwards: the new app keeps writing; the old app comes back through the undo's version
    // schema before its contract.
    App new_version(connect("app"), "public", new_app("new app during undo"));
    const CommandResult expand = pgphase({"undo", "reshape_orders", "--to", "expand"});
    ASSERT_EQ(expand.exit_code, 0) << expand.out << expand.err;
    EXPECT_NE(expand.out.find("reshape_orders_undo: not started -> expanded"), std::string::npos)
        << expand.out;
    const CommandResult backfill = pgphase({"undo", "reshape_orders", "--to", "backfill"});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.out << backfill.err;
    App old_version(connect("app"), "public_reshape_orders_undo", old_app("old app again"));
    ASSERT_TRUE(eventually([&] { return old_version.queries() > 40; }));
    EXPECT_EQ(old_version.error(), "") << "the old app version works again";
    new_version.stop();
    EXPECT_EQ(new_version.error(), "");
    const CommandResult complete = pgphase({"undo", "reshape_orders"});
    ASSERT_EQ(complete.exit_code, 0) << complete.out << complete.err;
    ASSERT_TRUE(eventually([&] { return old_version.queries() > 80; }));
    old_version.stop();
    EXPECT_EQ(old_version.error(), "");

    // Every row is there with the values it should have.
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE id <= 300 AND id <> 5 AND note = 'note ' "
                     "|| id"),
              "299")
        << "the kept notes are back";
    EXPECT_EQ(scalar("SELECT note FROM orders WHERE id = 5"), "n/a")
        << "a row written since contract gets down";
    EXPECT_EQ(scalar("SELECT note FROM orders WHERE customer = 'after contract'"), "n/a");
    EXPECT_EQ(scalar("SELECT count(*) FROM audit WHERE id <= 40 AND what = 'a' || id"), "40");
    EXPECT_EQ(scalar("SELECT qty FROM orders WHERE id = 5"), "9");
    // The new app's rows got the column's default while the column was hidden or back, and
    // `down` for those written between contract and undo.
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE customer LIKE 'new app%' AND note NOT IN "
                     "('none', 'n/a')"),
              "0");
    EXPECT_NE(scalar("SELECT count(*) FROM orders WHERE customer = 'new app' AND note = 'n/a'"),
              "0");
    EXPECT_NE(scalar("SELECT count(*) FROM orders WHERE customer = 'old app again'"), "0");
    EXPECT_EQ(scalar("SELECT md5(string_agg(id || ':' || customer || ':' || qty, ',' ORDER BY id)) "
                     "FROM orders WHERE id <= (SELECT id FROM orders WHERE customer = "
                     "'after contract')"),
              expected);

    // The schema is the one before the migration, once the undo's own tombstones (the bigint
    // qty) are gone.
    const CommandResult purged = pgphase({"purge", "reshape_orders_undo", "--all"});
    EXPECT_EQ(purged.exit_code, 0) << purged.out << purged.err;
    EXPECT_EQ(schema_dump(), before);

    // status and history show it; a second undo has nothing to do.
    const auto status = nlohmann::json::parse(pgphase({"status", "--json"}).out);
    bool listed = false;
    for (const auto& migration : status) {
        listed = listed || (migration.at("name") == "reshape_orders_undo" &&
                            migration.at("phase") == "completed");
    }
    EXPECT_TRUE(listed) << status.dump(2);
    const CommandResult text = pgphase({"status", "reshape_orders"});
    EXPECT_NE(text.out.find("  undone by reshape_orders_undo (completed)"), std::string::npos)
        << text.out;
    EXPECT_NE(pgphase({"history", "reshape_orders"}).out.find("migration.undone"),
              std::string::npos);
    const CommandResult again = pgphase({"undo", "reshape_orders"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
}

TEST_F(Undo, RollingTheUndoBackKeepsTheTombstonesAsTheyWere) {
    ASSERT_EQ(pgphase({"advance", write_plan("reshape_orders", reshape_orders)}).exit_code, 0);
    const std::string after_contract = schema_dump();
    const std::string tombstones =
        scalar("SELECT string_agg(tombstone || coalesce(purged_at::text, ''), ',' ORDER BY id) "
               "FROM pgphase.tombstones");

    const CommandResult backfill = pgphase({"undo", "reshape_orders", "--to", "backfill"});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT to_regclass('public.audit') IS NOT NULL"), "t");
    db().execute("INSERT INTO orders (customer_name, qty) VALUES ('during undo', 20)");
    const CommandResult rolled_back = pgphase({"undo", "reshape_orders", "--rollback"});
    ASSERT_EQ(rolled_back.exit_code, 0) << rolled_back.err;
    EXPECT_NE(rolled_back.out.find("reshape_orders_undo: rolled back"), std::string::npos)
        << rolled_back.out;
    EXPECT_EQ(schema_dump(), after_contract);
    EXPECT_EQ(scalar("SELECT string_agg(tombstone || coalesce(purged_at::text, ''), ',' ORDER BY "
                     "id) FROM pgphase.tombstones"),
              tombstones);
    EXPECT_EQ(scalar("SELECT to_regclass('public.audit') IS NULL"), "t");

    // Rows are marked again on their next write, and the undo can start afresh.
    db().execute("UPDATE orders SET qty = 30 WHERE id = 9");
    const CommandResult again = pgphase({"undo", "reshape_orders"});
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(scalar("SELECT qty || ':' || note FROM orders WHERE id = 9"), "3:n/a");
    EXPECT_EQ(scalar("SELECT qty || ':' || note FROM orders WHERE id = 10"), "10:note 10");
    EXPECT_EQ(scalar("SELECT qty || ':' || note FROM orders WHERE customer = 'during undo'"),
              "2:none");
    EXPECT_EQ(scalar("SELECT count(*) FROM audit"), "40");
}

TEST_F(Undo, RefusesWhatItCannotBringBackBeforeChangingAnything) {
    const auto complete = [&](const std::string& name, const std::string& yaml) {
        const CommandResult advanced = pgphase({"advance", write_plan(name, yaml)});
        ASSERT_EQ(advanced.exit_code, 0) << advanced.err;
    };
    // Not completed yet: rollback is the tool.
    const std::string started = write_plan(
        "add_flag",
        "name: add_flag\nchanges:\n  - add_column: {table: orders, column: {name: flag, type: "
        "boolean}}\n");
    ASSERT_EQ(pgphase({"start", started}).exit_code, 0);
    const CommandResult early = pgphase({"undo", "add_flag"});
    EXPECT_EQ(early.exit_code, 3) << early.err;
    EXPECT_NE(early.err.find("before contract, pgphase rollback undoes it"), std::string::npos)
        << early.err;
    ASSERT_EQ(pgphase({"rollback", started}).exit_code, 0);

    // A dropped column without down, with rows written since contract.
    complete("drop_note", "name: drop_note\nchanges:\n  - drop_column: {table: orders, column: "
                          "created}\n");
    db().execute("INSERT INTO orders (customer, qty, note) VALUES ('x', 1, 'y')");
    const std::string snapshot = schema_dump();
    const CommandResult stale = pgphase({"undo", "drop_note"});
    EXPECT_EQ(stale.exit_code, 3) << stale.err;
    EXPECT_NE(stale.err.find("change 1 (drop_column orders.created): 1 rows were written since "
                             "contract and the change has no \"down\""),
              std::string::npos)
        << stale.err;
    EXPECT_EQ(schema_dump(), snapshot) << "nothing was changed";
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.migrations WHERE name = 'drop_note_undo'"), "0");

    // Once purged, a tombstone cannot come back.
    complete("drop_audit",
             "name: drop_audit\nsettings: {keep_dropped: 1s}\nchanges:\n  - drop_table: {table: "
             "audit}\n");
    std::this_thread::sleep_for(1200ms);
    ASSERT_EQ(pgphase({"purge"}).exit_code, 0);
    const CommandResult purged = pgphase({"undo", "drop_audit"});
    EXPECT_EQ(purged.exit_code, 3) << purged.err;
    EXPECT_NE(purged.err.find("change 1 (drop_table audit): its tombstone"), std::string::npos)
        << purged.err;
    EXPECT_NE(purged.err.find("was purged at"), std::string::npos) << purged.err;
    EXPECT_EQ(scalar("SELECT to_regclass('public.audit') IS NULL"), "t");
}

} // namespace
} // namespace pgphase::testing
