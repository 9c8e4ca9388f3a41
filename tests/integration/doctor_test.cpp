// pgphase doctor against what really happens: an index build killed half way, a rollback killed
// with kill -9 while it waits for a lock, pgphase objects whose migration the state store lost,
// a NOT VALID constraint, a sequence near its end and a backfill left paused. Each is planted
// for real, then reported; --fix repairs the safe ones and a second doctor is clean.
#include "tests/integration/support.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace pgphase::testing {
namespace {

using namespace std::chrono_literals;

const char* widen_price = R"(
name: widen_price
changes:
  - change_type: {table: items, column: price, type: bigint, up: "price::bigint", down: "price::int"}
)";

const char* widen_total = R"(
name: widen_total
changes:
  - change_type: {table: orders, column: total, type: bigint, up: "total::bigint", down: "total::int"}
)";

const char* rename_note = R"(
name: rename_note
changes:
  - rename_column: {table: customers, from: note, to: remark}
)";

class Doctor : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE items (id serial PRIMARY KEY, price int, code text)");
        db().execute("INSERT INTO items (price, code) SELECT i, 'c' || i FROM "
                     "generate_series(1, 500) i");
    }

    std::vector<std::string> checks_reported(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"doctor", "--format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const CommandResult result = pgphase(args);
        EXPECT_EQ(result.exit_code, result.out.find("\"check\"") == std::string::npos ? 0 : 1)
            << result.out << result.err;
        std::vector<std::string> checks;
        const auto report = nlohmann::json::parse(result.out);
        for (const auto& finding : report.at("findings")) {
            checks.push_back(finding.at("check").get<std::string>() + " " +
                             finding.at("object").get<std::string>());
        }
        return checks;
    }

    // CREATE INDEX CONCURRENTLY that waits for a writer's transaction, terminated while it waits:
    // its INVALID index stays. While it runs, doctor must not report it.
    void kill_an_index_build() {
        auto writer = connect("slow writer");
        writer->execute("BEGIN");
        writer->execute("UPDATE items SET price = price WHERE id = 1");
        auto builder = connect("index build");
        const std::string pid = builder->query("SELECT pg_backend_pid()").text(0, 0);
        std::thread build([&] {
            sqlstate_of(*builder, "CREATE INDEX CONCURRENTLY items_code_idx ON items (code)");
        });
        EXPECT_TRUE(eventually([&] {
            return scalar("SELECT count(*) FROM pg_stat_progress_create_index WHERE pid = " +
                          pid) == "1" &&
                   scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "1";
        }));
        const CommandResult during = pgphase({"doctor"});
        EXPECT_EQ(during.out.find("items_code_idx"), std::string::npos) << during.out;
        db().execute("SELECT pg_terminate_backend(" + pid + ")");
        build.join();
        writer->execute("COMMIT");
    }

    // `pgphase rollback` waiting for a lock a report holds, killed with kill -9 there.
    void kill_a_rollback() {
        const std::string plan = write_plan("widen_price", widen_price);
        ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
        auto report = connect("nightly report");
        report->execute("BEGIN");
        report->execute("SELECT count(*) FROM items");
        const int pid = spawn_pgphase({"rollback", plan});
        EXPECT_TRUE(eventually([&] {
            return scalar("SELECT count(*) FROM pgphase.events WHERE event = "
                          "'step.lock_retry'") != "0";
        })) << spawned_output();
        ::kill(pid, SIGKILL);
        EXPECT_EQ(wait_for_exit(pid, 10s), 128 + SIGKILL);
        report->execute("COMMIT");
        // Its server session ends once it sees the client gone, and with it the advisory lock.
        EXPECT_TRUE(eventually([&] {
            return scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
                          "'pgphase[%'") == "0";
        }));
        ASSERT_EQ(scalar("SELECT phase FROM pgphase.migrations WHERE name = 'widen_price'"),
                  "rolling_back");
    }

    // Two migrations started, then their state-store rows deleted by hand: their sync trigger,
    // functions, shadow column and version schema belong to nobody.
    void lose_two_migrations() {
        db().execute("CREATE TABLE orders (id bigserial PRIMARY KEY, total int)");
        db().execute("CREATE TABLE customers (id bigserial PRIMARY KEY, note text)");
        ASSERT_EQ(pgphase({"start", write_plan("widen_total", widen_total)}).exit_code, 0);
        ASSERT_EQ(pgphase({"start", write_plan("rename_note", rename_note)}).exit_code, 0);
        db().execute("DELETE FROM pgphase.migrations WHERE name IN ('widen_total', "
                     "'rename_note')");
    }
};

TEST_F(Doctor, ReportsEachPlantedProblemAndFixRepairsTheSafeOnesUntilASecondDoctorIsClean) {
    kill_an_index_build();
    kill_a_rollback();
    lose_two_migrations();
    db().execute("ALTER TABLE items ADD CONSTRAINT price_positive CHECK (price > 0) NOT VALID");
    db().execute("SELECT setval('items_id_seq', 2000000000)");

    const std::vector<std::string> expected = {
        R"(interrupted-migration migration "widen_price")",
        R"(invalid-index index "public"."items_code_idx")",
        R"(orphaned-function function "pgphase"."pgphase_widen_total_1"())",
        R"(orphaned-function function "pgphase"."pgphase_widen_total_1_up"(pgphase_row orders))",
        R"(orphaned-shadow-column column "public"."orders"."_pgphase_new_total")",
        R"(orphaned-trigger trigger "pgphase_widen_total_1" on "public"."orders")",
        R"(orphaned-version-schema schema "public_rename_note")",
        R"(sequence-near-max sequence "public"."items_id_seq")",
        R"(unvalidated-constraint constraint "price_positive" on "public"."items")",
    };
    EXPECT_EQ(checks_reported(), expected);
    const CommandResult text = pgphase({"doctor"});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_NE(text.out.find("hint: rerun pgphase rollback with its plan"), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("2000000000 of 2147483647"), std::string::npos) << text.out;
    const CommandResult github = pgphase({"doctor", "--format", "github"});
    EXPECT_NE(github.out.find("::error title=pgphase doctor%3A invalid-index::index "),
              std::string::npos)
        << github.out;

    const CommandResult dry = pgphase({"doctor", "--fix", "--dry-run"});
    EXPECT_EQ(dry.exit_code, 1);
    EXPECT_NE(dry.err.find("would run: DROP INDEX CONCURRENTLY IF EXISTS "
                           "\"public\".\"items_code_idx\""),
              std::string::npos)
        << dry.err;
    EXPECT_EQ(checks_reported(), expected) << "--dry-run changed something";

    const CommandResult fixed = pgphase({"doctor", "--fix"});
    EXPECT_EQ(fixed.exit_code, 1) << "the constraint and the sequence are left to a person";
    EXPECT_NE(fixed.err.find("repaired 7 of 9"), std::string::npos) << fixed.err;
    EXPECT_EQ(scalar("SELECT phase FROM pgphase.migrations WHERE name = 'widen_price'"),
              "rolled_back");
    EXPECT_EQ(column_names("items"), (std::vector<std::string>{"id", "price", "code"}));
    EXPECT_EQ(column_names("orders"), (std::vector<std::string>{"id", "total"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM items"), "500");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                     "p.pronamespace WHERE n.nspname = 'pgphase' AND p.proname NOT LIKE "
                     "'\\_pgphase\\_written\\_%' AND obj_description(p.oid, 'pg_proc') "
                     "IS DISTINCT FROM 'pgphase state store'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_rename_note'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0");

    db().execute("ALTER TABLE items VALIDATE CONSTRAINT price_positive");
    db().execute("SELECT setval('items_id_seq', 500)");
    const CommandResult clean = pgphase({"doctor"});
    EXPECT_EQ(clean.exit_code, 0) << clean.out;
    EXPECT_NE(clean.out.find("nothing found"), std::string::npos) << clean.out;
}

TEST_F(Doctor, ABackfillLeftPausedOrStoppedPartWayIsReportedAfterTheThreshold) {
    const std::string plan = write_plan(
        "widen_price", std::string(widen_price) + "settings: {backfill: {batch_size: 100}}\n");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan, "--max-batches", "1"}).exit_code, 0);
    ASSERT_EQ(pgphase({"pause", "widen_price", "--actor", "alice"}).exit_code, 0);

    EXPECT_EQ(checks_reported(), std::vector<std::string>{}) << "younger than the 1h default";
    EXPECT_EQ(checks_reported({"--stalled-after", "0s"}),
              std::vector<std::string>{R"(stalled-backfill migration "widen_price")"});
    const CommandResult paused = pgphase({"doctor", "--stalled-after", "0s"});
    EXPECT_NE(paused.out.find("has been paused since "), std::string::npos) << paused.out;
    EXPECT_NE(paused.out.find("(by alice)"), std::string::npos) << paused.out;

    ASSERT_EQ(pgphase({"resume", "widen_price"}).exit_code, 0);
    const CommandResult stopped = pgphase({"doctor", "--stalled-after", "0s"});
    EXPECT_EQ(stopped.exit_code, 1);
    EXPECT_NE(stopped.out.find("stopped part way at "), std::string::npos) << stopped.out;
    EXPECT_NE(stopped.out.find("hint: rerun pgphase backfill"), std::string::npos) << stopped.out;
}

const char* prisma_init = R"sql(-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "price" DECIMAL(65,30),

    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
)sql";

const char* prisma_second = R"sql(-- AlterTable
ALTER TABLE "Post" ADD COLUMN "title" VARCHAR(200) NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
)sql";

TEST_F(Doctor, DriftComparesTheLiveSchemaWithWhatAPrismaFolderProduces) {
    const std::string folder = dir() + "/prisma/migrations";
    std::filesystem::create_directories(folder + "/20240101000000_init");
    std::filesystem::create_directories(folder + "/20240102000000_post_title");
    std::ofstream(folder + "/migration_lock.toml") << "provider = \"postgresql\"\n";
    std::ofstream(folder + "/20240101000000_init/migration.sql") << prisma_init;
    std::ofstream(folder + "/20240102000000_post_title/migration.sql") << prisma_second;
    db().execute("DROP TABLE items"); // the fixture's: not in this folder
    db().execute(prisma_init);
    db().execute(prisma_second);

    const CommandResult clean = pgphase({"doctor", "--migrations", folder});
    EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

    db().execute(R"(ALTER TABLE "Post" ADD COLUMN "draft" boolean)");
    db().execute(R"(ALTER TABLE "User" ALTER COLUMN "name" DROP NOT NULL)");
    db().execute(R"(ALTER TABLE "Post" ALTER COLUMN "title" TYPE text)");
    db().execute(R"(DROP INDEX "User_email_key")");
    db().execute("CREATE TABLE scratch (id int)");
    const CommandResult drifted = pgphase({"doctor", "--migrations", folder, "--format", "json"});
    EXPECT_EQ(drifted.exit_code, 1) << drifted.err;
    std::vector<std::string> messages;
    const auto report = nlohmann::json::parse(drifted.out);
    for (const auto& finding : report.at("findings")) {
        EXPECT_EQ(finding.at("check"), "schema-drift");
        messages.push_back(finding.at("message").get<std::string>());
    }
    std::sort(messages.begin(), messages.end());
    const std::string f = folder;
    EXPECT_EQ(messages,
              (std::vector<std::string>{
                  R"(column "public"."Post"."draft" (boolean) is not in )" + f,
                  R"(column "public"."Post"."title" is text, )" + f + " makes it varchar(200)",
                  R"(column "public"."User"."name" is nullable, )" + f + " makes it NOT NULL",
                  R"(index "public"."User_email_key" on "public"."User" is missing)",
                  R"(table "public"."scratch" is not in )" + f,
              }));

    EXPECT_EQ(pgphase({"doctor", "--migrations", dir() + "/nowhere"}).exit_code, 2);
}

TEST_F(Doctor, ADatabasePgphaseNeverRanOnIsCleanAndStaysWithoutItsStateSchema) {
    const CommandResult result = pgphase({"doctor"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgphase'"), "0");
    EXPECT_EQ(pgphase({"doctor", "--dry-run"}).exit_code, 2);
    EXPECT_EQ(pgphase({"doctor", "--stalled-after", "soon"}).exit_code, 2);
}

} // namespace
} // namespace pgphase::testing
