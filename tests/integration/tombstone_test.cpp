// What contract keeps instead of dropping (docs/undo.md), checked as a user would: the kept
// columns and table still hold their data, neither app version sees them, writes that their
// constraints would have refused go through, rows written since contract are marked, and
// status lists them. Once expired, doctor reports them and purge (or doctor --fix, or the next
// complete) drops them.
#include "tests/integration/support.hpp"

#include <nlohmann/json.hpp>
#include <thread>

namespace pgphase::testing {
namespace {

using namespace std::chrono_literals;

const char* retire_columns = R"(
name: retire_columns
changes:
  - change_type: {table: orders, column: price, type: bigint, up: "price::bigint", down: "price::int"}
  - drop_column: {table: orders, column: status, down: "'open'"}
  - drop_column: {table: orders, column: legacy}
  - drop_table: {table: audit}
)";

class Tombstones : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id serial PRIMARY KEY, reference text, "
                     "price int NOT NULL, status text NOT NULL CHECK (status <> ''), "
                     "legacy text UNIQUE)");
        db().execute("CREATE INDEX orders_status_idx ON orders (status)");
        db().execute("INSERT INTO orders (reference, price, status, legacy) SELECT 'r' || i, i, "
                     "CASE WHEN i % 2 = 0 THEN 'open' ELSE 'closed' END, 'l' || i "
                     "FROM generate_series(1, 200) i");
        db().execute("CREATE TABLE audit (id serial PRIMARY KEY, order_id int NOT NULL "
                     "REFERENCES orders (id), note text)");
        db().execute("INSERT INTO audit (order_id, note) SELECT i, 'n' || i "
                     "FROM generate_series(1, 50) i");
    }

    // The column of `table` whose name starts with `prefix` ("" when there is none).
    std::string column_like(const std::string& table, const std::string& prefix) {
        for (const auto& name : column_names(table)) {
            if (name.rfind(prefix, 0) == 0) {
                return name;
            }
        }
        return "";
    }

    void complete(const std::string& name, const std::string& yaml) {
        const std::string plan = write_plan(name, yaml);
        const CommandResult advanced = pgphase({"advance", plan, "--to", "complete"});
        ASSERT_EQ(advanced.exit_code, 0) << advanced.out << advanced.err;
    }
};

TEST_F(Tombstones, ContractKeepsTheDataOutOfSightAndRelaxesWhatWouldFailAWrite) {
    complete("retire_columns", retire_columns);

    // The columns are kept under their tombstone names, with their data; price has its new type.
    const std::string status = column_like("orders", "_pgphase_dropped_");
    std::vector<std::string> kept;
    for (const auto& name : column_names("orders")) {
        if (name.rfind("_pgphase_", 0) == 0) {
            kept.push_back(name);
        }
    }
    ASSERT_EQ(kept.size(), 6U) << "three tombstones, three markers";
    EXPECT_EQ(scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid "
                     "= 'orders'::regclass AND attname = 'price'"),
              "bigint");
    const nlohmann::json tombstones = nlohmann::json::parse(
        scalar("SELECT json_agg(json_build_object('name', name, 'tombstone', tombstone, 'kind', "
               "kind, 'relaxed', relaxed, 'marker', marker) ORDER BY id) FROM pgphase.tombstones "
               "WHERE purged_at IS NULL AND expires_at > now() + interval '6 days'"));
    ASSERT_EQ(tombstones.size(), 4U) << tombstones.dump();
    std::map<std::string, nlohmann::json> by_name;
    for (const auto& tombstone : tombstones) {
        by_name[tombstone.at("name").get<std::string>()] = tombstone;
    }
    const std::string old_price = by_name.at("price").at("tombstone").get<std::string>();
    const std::string old_status = by_name.at("status").at("tombstone").get<std::string>();
    const std::string old_legacy = by_name.at("legacy").at("tombstone").get<std::string>();
    EXPECT_EQ(old_status.rfind("_pgphase_dropped_", 0), 0U) << old_status;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE \"" + old_price + "\" = id AND \"" +
                     old_status +
                     "\" = CASE WHEN id % 2 = 0 THEN 'open' ELSE 'closed' END AND "
                     "\"" +
                     old_legacy + "\" = 'l' || id"),
              "200");

    // What would fail a write is dropped, and recorded with the column's old name.
    const std::string relaxed = by_name.at("status").at("relaxed").dump();
    EXPECT_NE(relaxed.find("CHECK ((status <> ''::text))"), std::string::npos) << relaxed;
    EXPECT_NE(relaxed.find("CREATE INDEX orders_status_idx ON public.orders USING btree (status)"),
              std::string::npos)
        << relaxed;
    EXPECT_NE(relaxed.find("not_null"), std::string::npos) << relaxed;
    EXPECT_NE(by_name.at("legacy").at("relaxed").dump().find("UNIQUE (legacy)"), std::string::npos);
    EXPECT_NE(by_name.at("audit").at("relaxed").dump().find("REFERENCES public.orders(id)"),
              std::string::npos);

    // The table moved, whole, out of the app's schema.
    EXPECT_EQ(scalar("SELECT to_regclass('public.audit') IS NULL"), "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase_dropped.\"" +
                     by_name.at("audit").at("tombstone").get<std::string>() + "\""),
              "50");

    // The new version's view shows none of it.
    for (const auto& name : column_names("public_retire_columns.orders")) {
        EXPECT_EQ(name.rfind("_pgphase_", 0), std::string::npos) << name;
    }

    // Writes the old constraints would refuse now go through: a row without status, a
    // duplicate... and deleting an order the kept audit table still points at.
    auto app = connect("new app");
    app->execute("SET search_path TO public_retire_columns");
    app->execute("INSERT INTO orders (reference, price) VALUES ('new', 5000000000)");
    app->execute("UPDATE orders SET reference = 'touched' WHERE id = 5");
    app->execute("DELETE FROM orders WHERE id = 7");

    // Rows written since contract are marked; the others are not.
    const std::string marker = by_name.at("status").at("marker").get<std::string>();
    EXPECT_EQ(scalar("SELECT string_agg(id::text || '=' || coalesce(\"" + marker +
                     "\"::text, 'null'), ',' ORDER BY id) FROM orders WHERE id IN (5, 6) OR "
                     "reference = 'new'"),
              "5=true,6=null,201=true");

    // status lists them; doctor does not take their markers for orphans.
    const auto listed = nlohmann::json::parse(pgphase({"status", "--json"}).out);
    ASSERT_EQ(listed.size(), 1U);
    EXPECT_EQ(listed[0].at("tombstones").size(), 4U) << listed.dump(2);
    const CommandResult text = pgphase({"status"});
    EXPECT_NE(text.out.find("kept: column public.orders." + old_status + " (was status"),
              std::string::npos)
        << text.out;
    const CommandResult doctor = pgphase({"doctor"});
    EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
    EXPECT_NE(status, "");
}

TEST_F(Tombstones, ExpiredOnesGoWithPurgeDoctorFixOrTheNextComplete) {
    const auto keep_for_a_second = [](const std::string& name, const std::string& change) {
        return "name: " + name + "\nsettings: {keep_dropped: 1s}\nchanges:\n  - " + change + "\n";
    };
    complete("retire_status",
             keep_for_a_second("retire_status", "drop_column: {table: orders, column: status, "
                                                "down: \"'open'\"}"));
    // An index someone builds on the kept column goes with it, CONCURRENTLY.
    const std::string status = column_like("orders", "_pgphase_dropped_");
    ASSERT_NE(status, "");
    db().execute("CREATE INDEX kept_status_idx ON orders (\"" + status + "\")");
    const CommandResult early = pgphase({"purge"});
    EXPECT_EQ(early.exit_code, 0) << early.err;
    EXPECT_NE(early.out.find("nothing to purge (1 tombstone not expired yet"), std::string::npos)
        << early.out;
    const CommandResult other = pgphase({"purge", "another_migration"});
    EXPECT_EQ(other.out, "purge: nothing to purge\n") << "only that migration's are counted";
    std::this_thread::sleep_for(1200ms);

    const CommandResult dry = pgphase({"purge", "--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("DROP COLUMN IF EXISTS \"" + status + "\""), std::string::npos)
        << dry.out;
    EXPECT_NE(
        dry.out.find(
            R"(  DROP INDEX CONCURRENTLY IF EXISTS "public"."kept_status_idx"; -- on its own)"),
        std::string::npos)
        << dry.out;
    EXPECT_EQ(column_like("orders", "_pgphase_dropped_"), status) << "a dry run drops nothing";
    const CommandResult purged = pgphase({"purge"});
    EXPECT_EQ(purged.exit_code, 0) << purged.out << purged.err;
    EXPECT_EQ(column_like("orders", "_pgphase_"), "");
    EXPECT_EQ(scalar("SELECT to_regclass('kept_status_idx') IS NULL"), "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.tombstones WHERE purged_at IS NOT NULL"), "1");
    EXPECT_NE(pgphase({"history", "retire_status"}).out.find("tombstone.purged"),
              std::string::npos);

    // doctor reports an expired one and --fix purges it.
    complete("retire_audit", keep_for_a_second("retire_audit", "drop_table: {table: audit}"));
    std::this_thread::sleep_for(1200ms);
    const CommandResult found = pgphase({"doctor"});
    EXPECT_EQ(found.exit_code, 1) << found.out;
    EXPECT_NE(found.out.find("[expired-tombstone] table \"pgphase_dropped\".\"_pgphase_dropped_"),
              std::string::npos)
        << found.out;
    const CommandResult fixed = pgphase({"doctor", "--fix"});
    EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                     "c.relnamespace WHERE n.nspname = 'pgphase_dropped' AND c.relkind = 'r'"),
              "0");
    EXPECT_EQ(pgphase({"doctor"}).exit_code, 0);

    // The next complete purges what has expired.
    complete("retire_legacy",
             keep_for_a_second("retire_legacy", "drop_column: {table: orders, column: legacy}"));
    ASSERT_NE(column_like("orders", "_pgphase_dropped_"), "");
    std::this_thread::sleep_for(1200ms);
    complete("add_note", "name: add_note\nchanges:\n  - add_column: {table: orders, column: "
                         "{name: note, type: text}}\n");
    EXPECT_EQ(column_like("orders", "_pgphase_"), "");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.tombstones WHERE purged_at IS NULL"), "0");
}

// Prisma's enum migrations drop the type right after the column: a kept column would stop that.
TEST_F(Tombstones, AColumnOfATypeOfItsOwnIsDroppedNotKeptSoItsTypeCanGo) {
    db().execute("CREATE TYPE mood AS ENUM ('ok', 'meh')");
    db().execute("ALTER TABLE orders ADD COLUMN mood mood");
    complete("retire_mood", "name: retire_mood\nchanges:\n"
                            "  - drop_column: {table: orders, column: mood}\n");
    EXPECT_EQ(column_like("orders", "_pgphase_"), "");
    EXPECT_EQ(column_like("orders", "mood"), "");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.tombstones"), "0");
    db().execute("DROP TYPE mood");
}

TEST_F(Tombstones, KeepDroppedZeroDropsAtContractAsBefore) {
    complete("drop_now", "name: drop_now\nsettings: {keep_dropped: 0}\nchanges:\n"
                         "  - drop_column: {table: orders, column: legacy}\n"
                         "  - drop_table: {table: audit}\n");
    EXPECT_EQ(column_like("orders", "_pgphase_"), "");
    EXPECT_EQ(column_like("orders", "legacy"), "");
    EXPECT_EQ(scalar("SELECT to_regclass('public.audit') IS NULL"), "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.tombstones"), "0");
}

} // namespace
} // namespace pgphase::testing
