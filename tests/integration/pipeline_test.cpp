// Release pipelines over weeks, against a real PostgreSQL and the real binary: advance to each
// target (and rerun as a no-op), the soak guard (refuse, allow, force), history with its actors,
// several migrations in flight on different tables while an overlapping one is refused, and a
// failed complete or rollback rerun to the end.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

const char* rename_plan = R"(
name: rename_users_email
settings:
  lock_timeout: 1s
  lock_retries: 3
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)";

const char* currency_plan = R"(
name: add_orders_currency
changes:
  - add_column:
      table: orders
      column: {name: currency, type: text, nullable: false, default: "'USD'"}
      up: upper(legacy_currency)
)";

class Pipeline : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigserial PRIMARY KEY, "
                     "email text NOT NULL DEFAULT 'unknown', name text)");
        db().execute("INSERT INTO users (email, name) SELECT 'user' || i || '@example.com', "
                     "'name ' || i FROM generate_series(1, 500) i");
        db().execute("CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint, "
                     "legacy_currency text)");
        db().execute("INSERT INTO orders (user_id, legacy_currency) SELECT i, "
                     "CASE WHEN i % 2 = 0 THEN 'eur' END FROM generate_series(1, 500) i");
    }

    void expect_ok(const CommandResult& result) {
        EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    }

    std::string phase(const std::string& name) {
        return scalar("SELECT phase FROM pgphase.migrations WHERE name = '" + name + "'");
    }

    std::string event_count() { return scalar("SELECT count(*) FROM pgphase.events"); }

    nlohmann::json history(const std::string& name) {
        const CommandResult result = pgphase({"history", name, "--json"});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return nlohmann::json::parse(result.out);
    }

    static const nlohmann::json* find_event(const nlohmann::json& events,
                                            const std::string& event) {
        for (const auto& e : events) {
            if (e["event"] == event) {
                return &e;
            }
        }
        return nullptr;
    }
};

// Sets an environment variable for the pgphase processes a test runs, and restores it.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value)
        : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

TEST_F(Pipeline, AdvanceReachesEachTargetAndARerunIsANoOp) {
    const std::string plan = write_plan("rename", rename_plan);

    expect_ok(pgphase({"advance", plan, "--to", "expand"}));
    EXPECT_EQ(phase("rename_users_email"), "expanded");
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS NULL"), "500")
        << "expand must not backfill";
    std::string events = event_count();
    CommandResult again = pgphase({"advance", plan, "--to", "expand"});
    expect_ok(again);
    EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
    EXPECT_EQ(event_count(), events) << "a rerun writes nothing";

    expect_ok(pgphase({"advance", plan, "--to", "backfill"}));
    EXPECT_EQ(phase("rename_users_email"), "backfilled");
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email"), "0");
    events = event_count();
    expect_ok(pgphase({"advance", plan, "--to", "backfill"}));
    EXPECT_EQ(event_count(), events);

    const CommandResult completed = pgphase({"advance", plan});
    expect_ok(completed);
    EXPECT_NE(completed.out.find("backfilled -> completed"), std::string::npos) << completed.out;
    EXPECT_EQ(phase("rename_users_email"), "completed");
    EXPECT_EQ(app_columns("users"), (std::vector<std::string>{"id", "name", "email_address"}));
    events = event_count();
    expect_ok(pgphase({"advance", plan, "--to", "complete"}));
    expect_ok(pgphase({"advance", plan, "--to", "backfill"})); // past the target: a no-op
    EXPECT_EQ(event_count(), events);
}

TEST_F(Pipeline, AdvanceFromNothingRunsEveryPhaseInOrder) {
    const std::string plan = write_plan("currency", currency_plan);
    const CommandResult result = pgphase({"advance", plan});
    expect_ok(result);
    EXPECT_NE(result.out.find("not started -> completed"), std::string::npos) << result.out;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE currency = 'EUR'"), "250");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE currency = 'USD'"), "250");
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                     "AND attname = 'currency'"),
              "t");
    std::vector<std::string> phases;
    for (const auto& e : history("add_orders_currency")) {
        if (e["event"].get<std::string>().rfind("phase.", 0) == 0) {
            phases.push_back(e["event"]);
        }
    }
    EXPECT_EQ(phases,
              (std::vector<std::string>{"phase.expanded", "phase.backfilling", "phase.backfilled",
                                        "phase.contracting", "phase.completed"}));
}

TEST_F(Pipeline, AdvanceDoesNotRestartARolledBackMigration) {
    const std::string plan = write_plan("rename", rename_plan);
    expect_ok(pgphase({"start", plan}));
    expect_ok(pgphase({"rollback", plan}));
    const CommandResult refused = pgphase({"advance", plan});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("rolled_back; advance only goes forward"), std::string::npos)
        << refused.err;
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email", "name"}));
}

TEST_F(Pipeline, SoakGuardRefusesCompleteUntilContractAfterHasPassed) {
    const std::string plan = write_plan("soak", R"(
name: rename_users_email
settings: {contract_after: 7d}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)");
    expect_ok(pgphase({"advance", plan, "--to", "backfill"}));
    const std::string expanded_at = scalar("SELECT to_char(expanded_at AT TIME ZONE 'UTC', "
                                           "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM "
                                           "pgphase.migrations");
    const std::string allowed_at =
        scalar("SELECT to_char((expanded_at + interval '7 days') AT TIME ZONE 'UTC', "
               "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pgphase.migrations");

    for (const std::string command : {"complete", "advance"}) {
        const CommandResult refused = pgphase({command, plan});
        EXPECT_EQ(refused.exit_code, 3) << refused.err;
        EXPECT_NE(refused.err.find("refused by the soak guard: expand finished at " + expanded_at +
                                   " and contract_after: 7d must pass first; complete is "
                                   "allowed from " +
                                   allowed_at + " (in "),
                  std::string::npos)
            << refused.err;
        // 7d less the seconds since expand, rounded up to the hour (the second unit shown).
        EXPECT_NE(refused.err.find("(in 7d)"), std::string::npos) << refused.err;
        EXPECT_NE(refused.err.find("hint: "), std::string::npos) << refused.err;
    }
    EXPECT_EQ(phase("rename_users_email"), "backfilled");
    EXPECT_EQ(column_names("users"),
              (std::vector<std::string>{"id", "email", "name", "email_address"}));

    // status --json tells a pipeline when it may try.
    const auto status = nlohmann::json::parse(pgphase({"status", "--json"}).out);
    ASSERT_EQ(status.size(), 1U);
    EXPECT_EQ(status[0]["expand_finished_at"], expanded_at);
    EXPECT_EQ(status[0]["complete_allowed_at"], allowed_at);
    EXPECT_EQ(status[0]["contract_after"], "7d");
    EXPECT_GT(status[0]["soak_remaining_seconds"].get<std::int64_t>(), 6 * 86400);

    // A week later (expand moved back in the state store): allowed, with no override logged.
    db().execute("UPDATE pgphase.migrations SET expanded_at = expanded_at - interval '7 days'");
    expect_ok(pgphase({"complete", plan}));
    EXPECT_EQ(phase("rename_users_email"), "completed");
    EXPECT_EQ(find_event(history("rename_users_email"), "soak.forced"), nullptr);
}

TEST_F(Pipeline, MinSoakRefusesAndForceOverridesWithTheOverrideInTheEventLog) {
    const std::string plan = write_plan("rename", rename_plan);
    expect_ok(pgphase({"advance", plan, "--to", "backfill"}));
    const CommandResult refused = pgphase({"complete", plan, "--min-soak", "2h"});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("--min-soak 2h must pass first"), std::string::npos) << refused.err;
    // 2h less the seconds since expand (many, under a sanitizer), rounded up to the minute.
    EXPECT_NE(refused.err.find("(in 2h)"), std::string::npos) << refused.err;

    const CommandResult bad = pgphase({"complete", plan, "--min-soak", "two hours"});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;

    expect_ok(pgphase({"advance", plan, "--min-soak", "2h", "--force", "--actor", "oncall-alice"}));
    EXPECT_EQ(phase("rename_users_email"), "completed");
    const auto events = history("rename_users_email");
    const nlohmann::json* forced = find_event(events, "soak.forced");
    ASSERT_NE(forced, nullptr) << events.dump(2);
    EXPECT_EQ((*forced)["actor"], "oncall-alice");
    EXPECT_EQ((*forced)["command"], "advance");
    EXPECT_EQ((*forced)["detail"]["required"], "--min-soak 2h");
    EXPECT_GT((*forced)["detail"]["remaining_ms"].get<std::int64_t>(), 3'500'000);

    const CommandResult text = pgphase({"history", "rename_users_email"});
    EXPECT_NE(text.out.find("soak.forced  by oncall-alice (advance)"), std::string::npos)
        << text.out;
}

TEST_F(Pipeline, HistoryShowsWhoRanEachPhaseFromActorOrPgphaseActor) {
    const std::string plan = write_plan("rename", rename_plan);
    expect_ok(pgphase({"start", plan, "--actor", "release-41"}));
    {
        const ScopedEnv env("PGPHASE_ACTOR", "deploy-job-9001");
        expect_ok(pgphase({"backfill", plan}));
        expect_ok(pgphase({"complete", plan, "--actor", "release-42"})); // --actor wins
    }
    const auto events = history("rename_users_email");
    std::map<std::string, std::string> by;
    for (const auto& e : events) {
        by[e["event"]] = e["actor"];
        EXPECT_FALSE(e["at"].get<std::string>().empty());
        EXPECT_NE(e["event"].get<std::string>().rfind("step.", 0), 0U) << "steps only with --steps";
    }
    EXPECT_EQ(by["migration.started"], "release-41");
    EXPECT_EQ(by["phase.expanded"], "release-41");
    EXPECT_EQ(by["phase.backfilled"], "deploy-job-9001");
    EXPECT_EQ(by["phase.completed"], "release-42");

    const auto with_steps = nlohmann::json::parse(pgphase({"history", "--steps", "--json"}).out);
    EXPECT_NE(find_event(with_steps, "step.done"), nullptr);
    const CommandResult unknown = pgphase({"history", "no_such_migration"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
}

TEST_F(Pipeline, PausesShowInStatusJsonAndHistoryWithWhoPaused) {
    const std::string plan = write_plan("rename", rename_plan);
    expect_ok(pgphase({"advance", plan, "--to", "expand"}));
    expect_ok(pgphase({"pause", "rename_users_email", "--actor", "ops-carol"}));

    auto status = nlohmann::json::parse(pgphase({"status", "--json"}).out);
    ASSERT_EQ(status.size(), 1U);
    EXPECT_EQ(status[0]["paused"], true);
    EXPECT_EQ(status[0]["paused_by"], "ops-carol");
    EXPECT_FALSE(status[0]["paused_at"].get<std::string>().empty());
    EXPECT_EQ(status[0]["last_event"]["event"], "backfill.paused");
    EXPECT_EQ(status[0]["last_event"]["actor"], "ops-carol");
    EXPECT_EQ(status[0]["last_event"]["command"], "pause");
    EXPECT_EQ(status[0]["complete_allowed_at"], status[0]["expand_finished_at"])
        << "no contract_after: allowed once expand finished";

    expect_ok(pgphase({"resume", "rename_users_email", "--actor", "ops-dan"}));
    const auto events = history("rename_users_email");
    const nlohmann::json* paused = find_event(events, "backfill.paused");
    const nlohmann::json* resumed = find_event(events, "backfill.resumed");
    ASSERT_NE(paused, nullptr);
    ASSERT_NE(resumed, nullptr);
    EXPECT_EQ((*paused)["actor"], "ops-carol");
    EXPECT_EQ((*resumed)["actor"], "ops-dan");
    status = nlohmann::json::parse(pgphase({"status", "--json"}).out);
    EXPECT_EQ(status[0]["paused"], false);
}

TEST_F(Pipeline, MigrationsOnDifferentTablesAreInFlightTogether) {
    const std::string rename = write_plan("rename", rename_plan);
    const std::string currency = write_plan("currency", currency_plan);
    expect_ok(pgphase({"start", rename}));
    expect_ok(pgphase({"start", currency}));
    expect_ok(pgphase({"backfill", currency}));

    const auto status = nlohmann::json::parse(pgphase({"status", "--json"}).out);
    ASSERT_EQ(status.size(), 2U) << status.dump(2);
    std::map<std::string, nlohmann::json> by_name;
    for (const auto& m : status) {
        by_name[m["name"]] = m;
    }
    EXPECT_EQ(by_name["rename_users_email"]["phase"], "expanded");
    EXPECT_EQ(by_name["rename_users_email"]["tables"], nlohmann::json({"public.users"}));
    EXPECT_EQ(by_name["add_orders_currency"]["phase"], "backfilled");
    EXPECT_EQ(by_name["add_orders_currency"]["tables"], nlohmann::json({"public.orders"}));
    EXPECT_FALSE(by_name["add_orders_currency"]["expand_finished_at"].is_null());

    expect_ok(pgphase({"advance", rename}));
    expect_ok(pgphase({"complete", currency}));
    EXPECT_EQ(phase("rename_users_email"), "completed");
    EXPECT_EQ(phase("add_orders_currency"), "completed");
}

TEST_F(Pipeline, AStartTouchingATableOfAnInFlightMigrationIsRefusedNamingBoth) {
    const std::string rename = write_plan("rename", rename_plan);
    const std::string index = write_plan("index", R"(
name: index_users_name
changes:
  - create_index: {table: users, name: users_name_idx, columns: [name]}
)");
    expect_ok(pgphase({"start", rename}));
    const CommandResult refused = pgphase({"start", index});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("migration \"index_users_name\" touches table public.users, which "
                               "migration \"rename_users_email\" (in flight) also touches"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = 'users_name_idx'"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.migrations WHERE name = 'index_users_name'"),
              "0");
    EXPECT_EQ(pgphase({"advance", index}).exit_code, 3) << "advance starts through the same guard";

    // Once the first one is rolled back (or completed) the table is free.
    expect_ok(pgphase({"rollback", rename}));
    expect_ok(pgphase({"start", index}));
    const CommandResult now_refused = pgphase({"start", rename});
    EXPECT_EQ(now_refused.exit_code, 3) << now_refused.err;
    EXPECT_NE(now_refused.err.find("\"index_users_name\""), std::string::npos) << now_refused.err;
    expect_ok(pgphase({"complete", index}));
    expect_ok(pgphase({"start", rename}));
}

const char* two_table_plan = R"(
name: users_and_orders
settings: {lock_timeout: 100ms, lock_retries: 0}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
  - add_column:
      table: orders
      column: {name: currency, type: text, nullable: false, default: "'USD'"}
      up: upper(legacy_currency)
)";

TEST_F(Pipeline, AFailedCompleteRerunFinishesWhatItStarted) {
    const std::string plan = write_plan("two", two_table_plan);
    expect_ok(pgphase({"advance", plan, "--to", "backfill"}));

    // A long reader on orders: contract on users goes through, contract on orders cannot
    // get its lock within the budget and gives up.
    auto reader = connect("long reader");
    reader->execute("BEGIN");
    reader->execute("SELECT count(*) FROM orders");
    const CommandResult failed = pgphase({"complete", plan});
    reader->execute("COMMIT");
    EXPECT_EQ(failed.exit_code, 4) << failed.err;
    EXPECT_NE(failed.err.find("waiting for a lock on public.orders"), std::string::npos)
        << failed.err;
    EXPECT_EQ(phase("users_and_orders"), "contracting");
    EXPECT_EQ(app_columns("users"), (std::vector<std::string>{"id", "name", "email_address"}))
        << "users' contract committed before orders' failed";
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                     "AND attname = 'currency'"),
              "f");
    const CommandResult no_rollback = pgphase({"rollback", plan});
    EXPECT_EQ(no_rollback.exit_code, 3) << "contract has begun: " << no_rollback.err;

    expect_ok(pgphase({"complete", plan}));
    EXPECT_EQ(phase("users_and_orders"), "completed");
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                     "AND attname = 'currency'"),
              "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('users'::regclass, "
                     "'orders'::regclass) AND NOT tgisinternal "
                     "AND tgname NOT LIKE '\\_pgphase\\_written\\_%'"),
              "0");
    std::vector<std::string> events;
    for (const auto& e : history("users_and_orders")) {
        events.push_back(e["event"]);
    }
    EXPECT_EQ(std::count(events.begin(), events.end(), "phase.contracting"), 1);
    EXPECT_EQ(events.back(), "phase.completed");
}

TEST_F(Pipeline, AFailedRollbackRerunFinishesWhatItStarted) {
    const std::string plan = write_plan("two", two_table_plan);
    expect_ok(pgphase({"start", plan}));

    // Undo runs newest step first: orders' steps, then users'. Holding users makes it fail
    // after orders is already undone.
    auto reader = connect("long reader");
    reader->execute("BEGIN");
    reader->execute("SELECT count(*) FROM users");
    const CommandResult failed = pgphase({"rollback", plan});
    reader->execute("COMMIT");
    EXPECT_EQ(failed.exit_code, 4) << failed.err;
    EXPECT_EQ(phase("users_and_orders"), "rolling_back");
    EXPECT_EQ(column_names("orders"),
              (std::vector<std::string>{"id", "user_id", "legacy_currency"}));
    EXPECT_EQ(pgphase({"advance", plan}).exit_code, 3) << "advance does not undo a rollback";

    expect_ok(pgphase({"rollback", plan}));
    EXPECT_EQ(phase("users_and_orders"), "rolled_back");
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email", "name"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "500");
}

TEST_F(Pipeline, AVersion2StateStoreIsUpgradedInPlace) {
    const std::string plan = write_plan("rename", rename_plan);
    expect_ok(pgphase({"advance", plan, "--to", "backfill"}));
    // Make it look like a v2 store: no expanded_at, no events.command, version 2.
    db().execute("ALTER TABLE pgphase.migrations DROP COLUMN expanded_at");
    db().execute("ALTER TABLE pgphase.events DROP COLUMN command");
    db().execute("DELETE FROM pgphase.schema_version WHERE version >= 3");
    const std::string expanded_event =
        scalar("SELECT max(at) FROM pgphase.events WHERE event = 'phase.expanded'");

    expect_ok(pgphase({"status"}));
    EXPECT_EQ(scalar("SELECT max(version) FROM pgphase.schema_version"), "6");
    EXPECT_EQ(scalar("SELECT expanded_at = '" + expanded_event +
                     "'::timestamptz FROM pgphase.migrations"),
              "t");
    const auto events = history("rename_users_email");
    ASSERT_FALSE(events.empty());
    EXPECT_TRUE(events[0]["command"].is_null()) << "older events have no command";
    expect_ok(pgphase({"complete", plan}));
}

// The `run:` scripts of the GitHub Actions example in docs/pipelines.md, in order, so the
// example a team copies is the one a test runs.
std::vector<std::string> workflow_scripts() {
    std::istringstream in(doc_block("docs/pipelines.md", "release-workflow").text);
    std::vector<std::string> scripts;
    std::string line;
    std::size_t block_indent = std::string::npos;
    while (std::getline(in, line)) {
        const std::size_t indent = line.find_first_not_of(' ');
        if (block_indent != std::string::npos) {
            if (indent != std::string::npos && indent >= block_indent) {
                scripts.back() += line.substr(block_indent) + "\n";
                continue;
            }
            block_indent = std::string::npos;
        }
        const std::size_t run = line.find("run: ");
        if (run == std::string::npos || indent == std::string::npos) {
            continue;
        }
        const std::string command = line.substr(run + 5);
        if (command.rfind("|", 0) == 0) {
            scripts.emplace_back();
            block_indent = indent + 2;
        } else if (command.rfind("pgphase ", 0) == 0) {
            scripts.push_back(command + "\n");
        }
    }
    return scripts;
}

TEST_F(Pipeline, TheGithubActionsExampleInTheDocsRunsAsWritten) {
    const std::vector<std::string> scripts = workflow_scripts();
    ASSERT_EQ(scripts.size(), 4U) << "expand loop, status, contract loop, history";
    const auto dir = std::filesystem::path(write_plan("unused", "")).parent_path() / "repo";
    std::filesystem::create_directories(dir / "migrations" / "pgphase");
    std::ofstream(dir / "migrations" / "pgphase" / "rename.yaml") << R"(
name: rename_users_email
settings: {contract_after: 1h}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
)";
    std::ofstream(dir / "migrations" / "pgphase" / "currency.yaml") << currency_plan;
    auto run_job = [&](const std::string& script) {
        const CommandResult run = run_script(dir.string(), script);
        return std::make_pair(run.exit_code, run.out);
    };

    // Release N: expand and backfill both, then status.
    for (std::size_t i = 0; i < 2; ++i) {
        const auto [code, out] = run_job(scripts[i]);
        EXPECT_EQ(code, 0) << scripts[i] << out;
    }
    EXPECT_EQ(phase("rename_users_email"), "backfilled");
    EXPECT_EQ(phase("add_orders_currency"), "backfilled");

    // Release N+1 with --min-soak 3d: both refused by the soak guard (exit 3), which the
    // job tolerates, so the release goes on and a later one contracts.
    const auto [code, out] = run_job(scripts[2]);
    EXPECT_EQ(code, 0) << scripts[2] << out;
    EXPECT_NE(out.find("refused by the soak guard"), std::string::npos) << out;
    EXPECT_EQ(phase("rename_users_email"), "backfilled");
    EXPECT_EQ(phase("add_orders_currency"), "backfilled");

    // Three days later: the same job contracts both.
    db().execute("UPDATE pgphase.migrations SET expanded_at = expanded_at - interval '3 days'");
    const auto [later, later_out] = run_job(scripts[2]);
    EXPECT_EQ(later, 0) << later_out;
    EXPECT_EQ(phase("rename_users_email"), "completed");
    EXPECT_EQ(phase("add_orders_currency"), "completed");
    const auto [history_code, history_out] = run_job(scripts[3]);
    EXPECT_EQ(history_code, 0) << history_out;
    EXPECT_NE(history_out.find("phase.completed"), std::string::npos) << history_out;
}

} // namespace
} // namespace pgphase::testing
