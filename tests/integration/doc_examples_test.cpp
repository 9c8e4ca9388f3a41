// The examples of docs/ that need a database, run as written: the commands a reader copies
// (`sh run` blocks), the SQL they paste, and the messages the docs promise pgphase prints
// (`text output` blocks, matched with holds_doc_output). Each test plays one story of the docs
// with the names the docs use, from a directory holding the files the docs name.
// tests/unit/docs checks every other block, and that each id here is used.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

class DocExamples : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        m_dir = fs::path(write_plan("unused", "")).parent_path() / "docs";
        fs::create_directories(m_dir / "plans");
    }

    const fs::path& dir() const { return m_dir; }

    void write(const std::string& relative, const std::string& text) {
        fs::create_directories((m_dir / relative).parent_path());
        std::ofstream(m_dir / relative, std::ios::binary) << text;
    }

    // Runs `script` with bash -e from dir() as a reader would paste it.
    CommandResult run(const std::string& script, const std::string& variables = "") {
        return run_script(m_dir.string(), script, variables);
    }

    // Starts one command in the background, from dir() (exec'd: the pid is the command's).
    int spawn(const std::string& command) {
        return spawn_shell(user_shell(m_dir.string()) + "exec " + command);
    }

    // Runs a `sql` block with psql, as a reader would.
    CommandResult psql(const DocBlock& block) {
        std::ofstream(m_dir / ".block.sql") << block.text;
        return run("psql -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -f .block.sql\n");
    }

private:
    fs::path m_dir;
};

const std::string rename_plan = R"(name: 20261123_rename_users_email
settings: {contract_after: 7d}
changes:
  - rename_column: {table: users, from: email, to: email_address}
)";

// docs/pipelines.md's story: release N expands and backfills from CI, the version schema
// serves the new version (docs/versioned-schemas.md), complete is held by the soak guard, a
// second migration on the table is refused, an on-call engineer forces complete, and history
// shows who did what.
TEST_F(DocExamples, ThePipelineStoryPrintsWhatTheDocsShow) {
    db().execute("CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                 "email text NOT NULL, name text)");
    db().execute("INSERT INTO users (email, name) VALUES ('grace@example.com', 'Grace')");
    write("plans/rename.yaml", rename_plan);
    write("plans/index.yaml", "name: 20261124_index_users_name\nchanges:\n"
                              "  - create_index: {table: users, name: users_name_idx, "
                              "columns: [name]}\n");
    const std::string ci = "GITHUB_ACTOR=alice GITHUB_RUN_ID=7712";

    const CommandResult expand = run("pgphase advance plans/rename.yaml --to backfill\n", ci);
    ASSERT_EQ(expand.exit_code, 0) << expand.out;

    const CommandResult new_version = psql(doc_block("docs/versioned-schemas.md", "new-version"));
    EXPECT_EQ(new_version.exit_code, 0) << new_version.out;
    EXPECT_NE(new_version.out.find("ada@example.com"), std::string::npos) << new_version.out;
    const CommandResult old_version = psql(doc_block("docs/versioned-schemas.md", "old-version"));
    EXPECT_EQ(old_version.exit_code, 0) << old_version.out;
    EXPECT_NE(old_version.out.find("ada@example.com"), std::string::npos) << old_version.out;

    // An hour after expand (the soak counts from it, on the database's clock).
    db().execute("UPDATE pgphase.migrations SET expanded_at = expanded_at - interval '1 hour'");
    const CommandResult held = run("pgphase complete plans/rename.yaml\n");
    EXPECT_EQ(held.exit_code, 3) << held.out;
    EXPECT_TRUE(holds_doc_output(held.out, doc_block("docs/pipelines.md", "soak-guard")));

    const CommandResult overlap = run("pgphase start plans/index.yaml\n");
    EXPECT_EQ(overlap.exit_code, 3) << overlap.out;
    EXPECT_TRUE(holds_doc_output(overlap.out, doc_block("docs/pipelines.md", "overlap")));
    EXPECT_TRUE(holds_doc_output(overlap.out, doc_block("docs/troubleshooting.md", "overlap")));

    const CommandResult forced =
        run("pgphase complete plans/rename.yaml --force\n", "PGPHASE_ACTOR=oncall-bob");
    ASSERT_EQ(forced.exit_code, 0) << forced.out;
    const CommandResult history = run("pgphase history 20261123_rename_users_email\n");
    EXPECT_EQ(history.exit_code, 0) << history.out;
    EXPECT_TRUE(holds_doc_output(history.out, doc_block("docs/pipelines.md", "history")));
}

const std::string currency_plan = R"(name: 20261124_add_orders_currency
settings:
  lock_timeout: 200ms
  lock_retries: 3
  backfill: {batch_size: 100, max_rows_per_second: RATE}
changes:
  - add_column:
      table: orders
      column: {name: currency, type: text, nullable: false, default: "'EUR'"}
      up: "'EUR'"
)";

std::string with_rate(const std::string& rate) {
    std::string plan = currency_plan;
    plan.replace(plan.find("RATE"), 4, rate);
    return plan;
}

// docs/troubleshooting.md: a second runner is refused naming the first; a complete that
// cannot get its lock gives up with exit 4, and the query the page gives finds the session in
// its way while it waits.
TEST_F(DocExamples, TroubleshootingShowsTheMessagesPgphasePrints) {
    db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL)");
    db().execute("INSERT INTO orders SELECT g, g FROM generate_series(1, 2000) g");
    write("plans/currency.yaml", with_rate("200"));
    ASSERT_EQ(run("pgphase start plans/currency.yaml\n").exit_code, 0);

    const int first = spawn("pgphase backfill plans/currency.yaml");
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                      "'pgphase[" +
                      std::to_string(first) + "] backfill 20261124_add_orders_currency'") == "1";
    })) << spawned_output();
    const CommandResult second = run("pgphase backfill plans/currency.yaml\n");
    EXPECT_EQ(second.exit_code, 3) << second.out;
    EXPECT_TRUE(
        holds_doc_output(second.out, doc_block("docs/troubleshooting.md", "second-runner")));

    // docs/backfill.md's control commands, from another shell, on the running backfill.
    const CommandResult control = run(doc_block("docs/backfill.md", "control").text);
    EXPECT_EQ(control.exit_code, 0) << control.out;
    EXPECT_NE(control.out.find("20261124_add_orders_currency: tune recorded"), std::string::npos)
        << control.out;
    EXPECT_TRUE(eventually([&] {
        return scalar("SELECT count(*) FROM pgphase.events WHERE event = 'backfill.tuned'") == "1";
    }));
    ::kill(first, SIGINT);
    EXPECT_EQ(wait_for_exit(first, std::chrono::seconds(30)), 130) << spawned_output();

    write("plans/currency.yaml", with_rate("0")); // settings may change after start
    const CommandResult backfill = run("pgphase backfill plans/currency.yaml\n");
    ASSERT_EQ(backfill.exit_code, 0) << backfill.out;

    // An open transaction that has read orders holds ACCESS SHARE until it ends.
    auto holder = connect("report");
    holder->execute("BEGIN");
    holder->execute("SELECT count(*) FROM orders");
    const int complete = spawn("pgphase complete plans/currency.yaml");
    const DocBlock query = doc_block("docs/troubleshooting.md", "blocking-sessions");
    bool found = false;
    eventually([&] {
        const CommandResult listed = psql(query);
        found = listed.out.find(std::to_string(holder->backend_pid())) != std::string::npos;
        return found;
    });
    EXPECT_TRUE(found) << "the blocking-sessions query never listed the holder";
    EXPECT_EQ(wait_for_exit(complete, std::chrono::seconds(60)), 4) << spawned_output();
    EXPECT_TRUE(
        holds_doc_output(spawned_output(), doc_block("docs/troubleshooting.md", "lock-timeout")));
    holder->execute("COMMIT");
    EXPECT_EQ(run("pgphase complete plans/currency.yaml\n").exit_code, 0);
}

// docs/prisma.md's workflow from a Prisma project: lint flags the generated migration,
// convert turns it into a plan, the plan the page shows runs in two releases and records the
// migration; a conflicting row in _prisma_migrations stops complete with the message shown.
TEST_F(DocExamples, ThePrismaWorkflowRunsAsWritten) {
    const std::string init = "CREATE TABLE \"User\" (\n"
                             "    \"id\" SERIAL NOT NULL,\n"
                             "    \"email\" TEXT NOT NULL,\n"
                             "    CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\")\n"
                             ");\n";
    write("prisma/migrations/20261101000000_init/migration.sql", init);
    // As generated, then edited into a rename as the page says (Prisma writes a drop + add).
    write("prisma/migrations/20261125093000_rename_user_email/migration.sql",
          doc_block("docs/prisma.md", "prisma-edited").text);
    db().execute(init);
    db().execute("INSERT INTO \"User\" (email) VALUES ('ada@example.com')");

    const CommandResult lint = run(doc_block("docs/prisma.md", "prisma-lint").text);
    EXPECT_EQ(lint.exit_code, 1) << "lint flags the rename:\n" << lint.out;
    EXPECT_NE(lint.out.find("[rename-column]"), std::string::npos) << lint.out;

    const CommandResult convert = run(doc_block("docs/prisma.md", "prisma-convert").text);
    EXPECT_EQ(convert.exit_code, 0) << convert.out;
    const std::string converted = read_file((dir() / "plans/rename_user_email.yaml").string());
    EXPECT_NE(
        converted.find("  - rename_column:\n      table: \"User\"\n      from: email\n      to: "
                       "\"emailAddress\"\n"),
        std::string::npos)
        << converted;

    // The page's plan: the converted change, named like the migration, with its directory.
    write("plans/rename_user_email.yaml", doc_block("docs/prisma.md", "prisma-plan").text);
    const CommandResult expand = run(doc_block("docs/prisma.md", "prisma-expand").text);
    ASSERT_EQ(expand.exit_code, 0) << expand.out;

    db().execute(
        "CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum "
        "VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, "
        "logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
        "applied_steps_count INTEGER NOT NULL DEFAULT 0)");
    db().execute("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs) "
                 "VALUES ('11111111-1111-1111-1111-111111111111', repeat('f', 64), now(), "
                 "'20261125093000_rename_user_email', '')");
    const CommandResult conflict = run(doc_block("docs/prisma.md", "prisma-contract").text);
    EXPECT_EQ(conflict.exit_code, 2) << conflict.out;
    EXPECT_TRUE(holds_doc_output(conflict.out, doc_block("docs/prisma.md", "prisma-conflict")));

    db().execute("DELETE FROM _prisma_migrations");
    const CommandResult contract = run(doc_block("docs/prisma.md", "prisma-contract").text);
    ASSERT_EQ(contract.exit_code, 0) << contract.out;
    EXPECT_EQ(column_names("\"User\""), (std::vector<std::string>{"id", "emailAddress"}));
    EXPECT_EQ(scalar("SELECT \"emailAddress\" FROM \"User\""), "ada@example.com");
    const CommandResult sum =
        run("sha256sum prisma/migrations/20261125093000_rename_user_email/migration.sql\n");
    EXPECT_EQ(scalar("SELECT checksum FROM _prisma_migrations"), sum.out.substr(0, 64));
}

// docs/lint.md's example output, from the two migrations it describes.
TEST_F(DocExamples, LintPrintsTheExampleOutput) {
    write("prisma/migrations/20240101000000_init/migration.sql",
          "CREATE TABLE \"User\" (\n"
          "    \"id\" SERIAL NOT NULL,\n"
          "    \"email\" VARCHAR(80) NOT NULL,\n"
          "    \"name\" TEXT,\n"
          "    CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\")\n"
          ");\n");
    write("prisma/migrations/20240201000000_profile/migration.sql",
          "/*\n"
          "  Warnings:\n"
          "\n"
          "  - You are about to drop the column `name` on the `User` table. All the data in the "
          "column will be lost.\n"
          "\n"
          "*/\n"
          "-- AlterTable\n"
          "ALTER TABLE \"User\" DROP COLUMN \"name\",\n"
          "ADD COLUMN     \"displayName\" TEXT,\n"
          "ALTER COLUMN \"email\" SET DATA TYPE VARCHAR(200);\n"
          "\n"
          "-- CreateIndex\n"
          "CREATE INDEX \"User_displayName_idx\" ON \"User\"(\"displayName\");\n");
    const CommandResult lint = run("pgphase lint prisma/migrations\n");
    EXPECT_EQ(lint.exit_code, 1) << lint.out;
    EXPECT_TRUE(holds_doc_output(lint.out, doc_block("docs/lint.md", "lint-profile")));
}

} // namespace
} // namespace pgphase::testing
