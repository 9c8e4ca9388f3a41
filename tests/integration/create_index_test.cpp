// create_index against a real PostgreSQL: built concurrently while writes go on, undone by
// rollback, and a failed unique build is reported with a hint and rebuilt on rerun.
#include "tests/integration/support.hpp"

#include <atomic>
#include <thread>

namespace pgphase::testing {
namespace {

class CreateIndex : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE events (id bigint PRIMARY KEY, kind text, ref text)");
        db().execute("INSERT INTO events SELECT i, 'k' || (i % 7), 'r' || i FROM "
                     "generate_series(1, 20000) i");
    }
};

TEST_F(CreateIndex, BuildsWhileAWriterKeepsCommittingAndRollsBack) {
    const std::string plan = write_plan("idx", R"(
name: events_kind
changes:
  - create_index: {table: events, name: events_kind_ref_idx, columns: [kind, ref], where: "kind <> 'k0'"}
)");
    std::atomic<bool> stop{false};
    std::atomic<int> commits{0};
    std::string writer_error;
    std::thread writer([&] {
        try {
            auto app = connect("writer");
            for (int id = 100000; !stop; ++id) {
                app->execute("INSERT INTO events VALUES (" + std::to_string(id) + ", 'k1', 'w')");
                ++commits;
            }
        } catch (const std::exception& e) {
            writer_error = e.what();
        }
    });
    ASSERT_TRUE(eventually([&] { return commits > 10; }));
    const int before = commits;
    const CommandResult start = pgphase({"start", plan});
    const int during = commits - before;
    stop = true;
    writer.join();
    ASSERT_EQ(start.exit_code, 0) << start.err;
    EXPECT_TRUE(writer_error.empty()) << writer_error;
    EXPECT_GT(during, 0) << "the writer made no progress while the index was built";
    EXPECT_EQ(
        scalar(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_kind_ref_idx'::regclass"),
        "t");
    EXPECT_EQ(scalar("SELECT pg_get_indexdef('events_kind_ref_idx'::regclass)"),
              "CREATE INDEX events_kind_ref_idx ON public.events USING btree (kind, ref) WHERE "
              "(kind <> 'k0'::text)");

    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT to_regclass('events_kind_ref_idx') IS NULL"), "t");
}

TEST_F(CreateIndex, UniqueBuildOnDuplicatesFailsWithAHintAndIsRebuiltOnRerun) {
    db().execute("UPDATE events SET ref = 'dup' WHERE id IN (1, 2)");
    const std::string plan = write_plan("uniq", R"(
name: events_ref_key
changes:
  - create_index: {table: events, name: events_ref_key, columns: [ref], unique: true}
)");
    const CommandResult failed = pgphase({"start", plan});
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    EXPECT_NE(failed.err.find("duplicate"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("SQLSTATE 23505"), std::string::npos) << failed.err;
    EXPECT_EQ(
        scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_ref_key'::regclass"),
        "f");

    db().execute("UPDATE events SET ref = 'unique-2' WHERE id = 2");
    const CommandResult rerun = pgphase({"start", plan});
    EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(scalar("SELECT indisvalid AND indisunique FROM pg_index WHERE indexrelid = "
                     "'events_ref_key'::regclass"),
              "t");
}

TEST_F(CreateIndex, BadPlansAreRefusedWithTheirLocationBeforeAnythingRuns) {
    const std::string plan = write_plan("bad", R"(
name: events_bad
changes:
  - create_index: {table: events, name: e_idx, columns: [knd]}
)");
    const CommandResult result = pgphase({"start", plan});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(
        result.err.find("bad.yaml:4:5: error: column \"events\".\"knd\" (indexed) does not exist"),
        std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("did you mean \"kind\"?"), std::string::npos) << result.err;
    EXPECT_EQ(scalar("SELECT to_regclass('pgphase.migrations') IS NOT NULL AND NOT EXISTS "
                     "(SELECT FROM pgphase.migrations)"),
              "t");
}

} // namespace
} // namespace pgphase::testing
