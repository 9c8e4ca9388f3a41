// `pgphase convert` round trip over ../shared/corpus/prisma: database A runs a migration's
// original SQL, database B runs the converted plan through start, backfill and complete; both
// must end with the same schema. Each corpus file is one migration of some project, so the
// state before it is rebuilt from the earlier corpus files of the same project; a file that
// does not apply to that state (it needs tables from migrations the corpus lacks) is only
// converted and loaded (tests/unit/planners/convert/corpus_test.cpp). See docs/convert.md.
#include "orchestrator/pg/session.hpp"
#include "planners/convert/converter.hpp"
#include "planners/lint/source.hpp"
#include "planners/lint/sql_tree.hpp"
#include "planners/sql/quote.hpp"
#include "tests/integration/support.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(PGPHASE_SOURCE_DIR) / ".." / "shared" / "corpus" / "prisma";

// Everything both databases must agree on, one line per object, sorted. Left out on purpose
// (docs/convert.md): column order (pgphase's shadow columns append), sequences and how a key
// column is generated (serial's nextval default and identity both read "generated"), and the
// schemas pgphase keeps (its state, the version schemas of views), and the tombstones contract
// keeps with their markers (docs/undo.md).
const char* const schema_query = R"SQL(
SELECT line FROM (
  SELECT 'column ' || quote_ident(c.relname) || '.' || quote_ident(a.attname) || ' '
         || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || CASE WHEN a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'
                 THEN ' generated'
                 WHEN d.adbin IS NOT NULL THEN ' default ' || pg_get_expr(d.adbin, d.adrelid)
                 ELSE '' END AS line
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attname NOT LIKE '\_pgphase\_dropped\_%' AND a.attname NOT LIKE '\_pgphase\_written\_%'
  UNION ALL
  SELECT 'constraint ' || quote_ident(c.relname) || ' ' || quote_ident(co.conname) || ' '
         || pg_get_constraintdef(co.oid)
  FROM pg_constraint co
  JOIN pg_class c ON c.oid = co.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public'
  UNION ALL
  SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT 'type ' || quote_ident(t.typname) || ' '
         || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
  JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = 'public' GROUP BY t.typname
  UNION ALL
  SELECT 'trigger ' || quote_ident(c.relname) || ' ' || quote_ident(tg.tgname)
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND NOT tg.tgisinternal AND tg.tgname NOT LIKE '\_pgphase\_written\_%'
  UNION ALL
  SELECT 'view ' || quote_ident(viewname) FROM pg_views WHERE schemaname = 'public'
) AS lines ORDER BY line)SQL";

std::vector<std::string> schema_of(orchestrator::Session& session) {
    std::vector<std::string> out;
    for (const auto& row : session.query(schema_query).rows) {
        out.push_back(row[0].value_or(""));
    }
    return out;
}

std::string difference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::ostringstream out;
    const std::set<std::string> left(a.begin(), a.end());
    const std::set<std::string> right(b.begin(), b.end());
    for (const auto& line : left) {
        if (right.count(line) == 0) {
            out << "  only from the SQL:  " << line << "\n";
        }
    }
    for (const auto& line : right) {
        if (left.count(line) == 0) {
            out << "  only from the plan: " << line << "\n";
        }
    }
    return out.str();
}

// "005_AmruthPillai__Reactive-Resume__2023..." -> "AmruthPillai__Reactive-Resume".
std::string project_of(const std::string& file_name) {
    const auto first = file_name.find('_');
    const auto last = file_name.rfind("__");
    if (first == std::string::npos || last == std::string::npos || last <= first) {
        return file_name;
    }
    return file_name.substr(first + 1, last - first - 1);
}

bool apply(orchestrator::Session& session, const std::string& sql) {
    try {
        session.execute(sql);
        return true;
    } catch (const std::exception&) {
        // A file with its own BEGIN that fails inside leaves the session in an aborted
        // transaction block, which would swallow every later statement.
        try {
            session.execute("ROLLBACK");
        } catch (const std::exception&) {
        }
        return false;
    }
}

// --- a pre-state for a migration whose tables the corpus does not create -------------------
//
// The file's statements run one by one in a transaction that is always rolled back; each
// "does not exist" error adds the missing object as a stub (a table with a text "id" primary
// key, a text column, a CHECK (true) constraint, an index on a stub table, an enum value) to the
// probe database, and the file is tried again. Stubs are generic on purpose: both databases
// get the same ones, so they cannot make the schemas differ; they only let the file apply.

struct Failure {
    std::size_t statement = 0;
    std::string message;
};

std::string q(const std::string& name) {
    return planners::quote_ident(name);
}

std::string first_match(const std::string& text, const char* pattern, std::size_t group = 1) {
    std::smatch match;
    const std::regex re(pattern);
    return std::regex_search(text, match, re) ? match[group].str() : std::string();
}

// The stub that fixes `failure`, or "" when none does.
std::string stub_for(const planners::lint::Statement& statement, const std::string& message,
                     int& counter) {
    using nlohmann::json;
    const json tree = statement.tree();
    const json& body = tree.is_null() ? tree : tree.at(statement.kind);
    const auto relation = [&]() -> std::string {
        if (body.is_object() && body.contains("relation")) {
            return body["relation"].value("relname", "");
        }
        return "";
    };
    // A column the statement drops NOT NULL or the default of must have them first.
    const auto column_state = [&](const std::string& column) -> std::string {
        std::string out;
        if (body.is_object() && body.contains("cmds")) {
            for (const auto& item : body["cmds"]) {
                const json& cmd = item.value("AlterTableCmd", json::object());
                if (cmd.value("name", "") != column) {
                    continue;
                }
                if (cmd.value("subtype", "") == "AT_DropNotNull") {
                    out += " NOT NULL";
                } else if (cmd.value("subtype", "") == "AT_ColumnDefault" && !cmd.contains("def")) {
                    out += " DEFAULT ''";
                }
            }
        }
        return out;
    };
    std::string name;
    if (!(name =
              first_match(message, R"re(column "([^"]+)" of relation "([^"]+)" does not exist)re"))
             .empty()) {
        return "ALTER TABLE " +
               q(first_match(message, R"re(column "([^"]+)" of relation "([^"]+)")re", 2)) +
               " ADD COLUMN " + q(name) + " text" + column_state(name);
    }
    if (!(name = first_match(
              message,
              R"re(column "([^"]+)" referenced in foreign key constraint does not exist)re"))
             .empty()) {
        const json& constraint = body.is_object() && body.contains("cmds")
                                     ? body["cmds"][0]["AlterTableCmd"]["def"]["Constraint"]
                                     : json();
        std::string table = relation();
        if (constraint.is_object() && constraint.contains("pktable")) {
            for (const auto& column :
                 planners::lint::string_list(constraint.value("pk_attrs", json::array()))) {
                if (column == name) {
                    table = constraint["pktable"].value("relname", "");
                }
            }
        }
        return table.empty() ? ""
                             : "ALTER TABLE " + q(table) + " ADD COLUMN " + q(name) + " text" +
                                   column_state(name);
    }
    if (!(name = first_match(message, R"re(column "([^"]+)" (named in key )?does not exist)re"))
             .empty()) {
        return relation().empty() ? ""
                                  : "ALTER TABLE " + q(relation()) + " ADD COLUMN " + q(name) +
                                        " text" + column_state(name);
    }
    if (!(name = first_match(message,
                             R"re(constraint "([^"]+)" of relation "([^"]+)" does not exist)re"))
             .empty()) {
        return "ALTER TABLE " +
               q(first_match(message, R"re(constraint "([^"]+)" of relation "([^"]+)")re", 2)) +
               " ADD CONSTRAINT " + q(name) + " CHECK (true)";
    }
    const bool index_wanted =
        statement.kind == "DropStmt" ||
        (statement.kind == "RenameStmt" && body.value("renameType", "") == "OBJECT_INDEX");
    if (!(name = first_match(message, R"re((index|relation) "([^"]+)" does not exist)re", 2))
             .empty()) {
        if (index_wanted &&
            (message.rfind("index", 0) == 0 || body.value("renameType", "") == "OBJECT_INDEX")) {
            const std::string table = "stub_table_" + std::to_string(++counter);
            return "CREATE TABLE " + q(table) + " (c text); CREATE INDEX " + q(name) + " ON " +
                   q(table) + " (c)";
        }
        return "CREATE TABLE " + q(name) + " (\"id\" text PRIMARY KEY)";
    }
    if (!(name = first_match(message, R"re(type "([^"]+)" does not exist)re")).empty()) {
        return "CREATE TYPE " + q(name) + " AS ENUM ()";
    }
    if (!(name =
              first_match(message, R"re(invalid input value for enum "?([^":]+?)"?: "([^"]*)")re"))
             .empty()) {
        return "ALTER TYPE " + q(name) + " ADD VALUE " +
               planners::quote_literal(first_match(
                   message, R"re(invalid input value for enum "?([^":]+?)"?: "([^"]*)")re", 2));
    }
    if (!(name = first_match(message, R"re(multiple primary keys for table "([^"]+)")re"))
             .empty()) {
        return "ALTER TABLE " + q(name) + " DROP CONSTRAINT IF EXISTS " + q(name + "_pkey");
    }
    if (!(name = first_match(
              message,
              R"re(no unique constraint matching given keys for referenced table "([^"]+)")re"))
             .empty()) {
        const json& constraint = body.is_object() && body.contains("cmds")
                                     ? body["cmds"][0]["AlterTableCmd"]["def"]["Constraint"]
                                     : json();
        if (!constraint.is_object() || !constraint.contains("pk_attrs")) {
            return "";
        }
        std::string columns;
        for (const auto& column : planners::lint::string_list(constraint["pk_attrs"])) {
            columns += (columns.empty() ? "" : ", ") + q(column);
        }
        return "CREATE UNIQUE INDEX " + q("stub_unique_" + std::to_string(++counter)) + " ON " +
               q(name) + " (" + columns + ")";
    }
    const std::string types =
        first_match(message, R"re(incompatible types: ([a-z0-9 ()]+) and ([a-z0-9 ()]+))re");
    if (!types.empty() && body.is_object() && body.contains("cmds")) {
        const json& constraint = body["cmds"][0]["AlterTableCmd"]["def"]["Constraint"];
        const auto columns =
            planners::lint::string_list(constraint.value("pk_attrs", json::array()));
        if (columns.size() == 1) {
            const std::string table = constraint["pktable"].value("relname", "");
            return "ALTER TABLE " + q(table) + " ALTER COLUMN " + q(columns[0]) + " TYPE " + types +
                   " USING NULL";
        }
    }
    return "";
}

// Runs the file statement by statement in a transaction that is rolled back; the first
// failure, or nullopt when every statement ran.
std::optional<Failure> try_file(orchestrator::Session& session,
                                const planners::lint::SourceFile& file) {
    std::optional<Failure> failure;
    struct RollBack {};
    try {
        session.transaction([&](orchestrator::Transaction& tx) {
            for (std::size_t i = 0; i < file.statements().size(); ++i) {
                if (file.statements()[i].kind == "TransactionStmt") {
                    continue; // its own BEGIN/COMMIT would end this probe's transaction
                }
                try {
                    tx.execute(std::string(file.statements()[i].text));
                } catch (const orchestrator::DatabaseError& e) {
                    failure = Failure{i, e.what()};
                    throw RollBack{};
                }
            }
            throw RollBack{};
        });
    } catch (const RollBack&) {
    }
    return failure;
}

// Stubs that let the file apply on top of `session`'s database (applied there too), or
// nullopt when some error has no stub.
std::optional<std::vector<std::string>>
stub_prestate(orchestrator::Session& session, const std::string& path, const std::string& sql) {
    const planners::lint::SourceFile file(path, sql);
    std::vector<std::string> stubs;
    int counter = 0;
    for (int attempt = 0; attempt < 60; ++attempt) {
        const auto failure = try_file(session, file);
        if (!failure) {
            return stubs;
        }
        const std::string stub =
            stub_for(file.statements()[failure->statement], failure->message, counter);
        if (stub.empty() || std::find(stubs.begin(), stubs.end(), stub) != stubs.end() ||
            !apply(session, stub)) {
            return std::nullopt;
        }
        stubs.push_back(stub);
    }
    return std::nullopt;
}

// Files whose plan does not reproduce the original schema, each for a reason docs/convert.md
// explains. Listed by name so that a new difference fails the test.
const std::map<std::string, std::string>& known_differences() {
    static const std::map<std::string, std::string> known = {
        {"009_ballerine-io__ballerine__20240418113024_removed_apm_from_payment_method.sql",
         "an UPDATE before an enum recreation: the backfill runs after every expand change"},
        {"072_Peppermint-Lab__peppermint__20230609201306_.sql",
         "a probable rename to confirm: the renamed column keeps its old nullability"},
    };
    return known;
}

class ConvertRoundTrip : public ::testing::Test {
protected:
    void SetUp() override {
        const char* dsn = std::getenv("PGPHASE_TEST_DSN"); // NOLINT(concurrency-mt-unsafe)
        if (dsn == nullptr || *dsn == '\0') {
            GTEST_SKIP() << "PGPHASE_TEST_DSN is not set; run through scripts/with-postgres.sh";
        }
        m_server_dsn = dsn;
        m_dir = fs::temp_directory_path() / "pgphase-convert-round-trip";
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // A fresh database holding the earlier migrations of the project; its DSN.
    std::string fresh(const std::string& name, const std::vector<std::string>& earlier) {
        {
            orchestrator::Session server(orchestrator::Dsn(m_server_dsn), "convert-test setup");
            server.execute("DROP DATABASE IF EXISTS " + planners::quote_ident(name) +
                           " WITH (FORCE)");
            server.execute("CREATE DATABASE " + planners::quote_ident(name));
        }
        const std::string dsn = with_database(m_server_dsn, name);
        orchestrator::Session session(orchestrator::Dsn(dsn), "convert-test prefix");
        for (const std::string& sql : earlier) {
            apply(session, sql);
        }
        return dsn;
    }

    std::string m_server_dsn;
    fs::path m_dir;
};

TEST_F(ConvertRoundTrip, CorpusMigrationsEndInTheSameSchema) {
    if (!fs::exists(corpus)) {
        GTEST_SKIP() << "no corpus at " << corpus;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(corpus)) {
        if (entry.path().extension() == ".sql") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());

    std::map<std::string, std::vector<std::string>> earlier; // project -> SQL so far
    int round_trips = 0;
    int stubbed_round_trips = 0;
    int no_prestate = 0;
    int needs_input = 0;
    std::vector<std::string> failures;
    for (const fs::path& file : files) {
        const std::string name = file.filename().string();
        const std::string project = project_of(name);
        const std::string sql = read_file(file.string());
        const auto converted = planners::convert::convert_sql(file.string(), sql);
        ASSERT_FALSE(converted.errors.has_errors()) << name;

        std::vector<std::string> prestate = earlier[project];
        earlier[project].push_back(sql);
        const std::string dsn_a = fresh("convert_rt_a", prestate);
        bool applies = false;
        bool stubbed = false;
        std::vector<std::string> schema_a;
        {
            orchestrator::Session a(orchestrator::Dsn(dsn_a), "convert-test original");
            if (try_file(a, planners::lint::SourceFile(file.string(), sql))) {
                const auto stubs = stub_prestate(a, file.string(), sql);
                if (!stubs) {
                    ++no_prestate;
                    continue;
                }
                prestate.insert(prestate.end(), stubs->begin(), stubs->end());
                stubbed = true;
            }
            applies = apply(a, sql);
            if (applies) {
                schema_a = schema_of(a);
            }
        }
        if (!applies) {
            ++no_prestate;
            continue;
        }
        if (converted.to_fill > 0) {
            ++needs_input;
            continue;
        }
        const std::string dsn_b = fresh("convert_rt_b", prestate);
        const fs::path plan = m_dir / (name + ".yaml");
        std::ofstream(plan) << converted.yaml;
        std::string trouble;
        for (const char* command : {"start", "backfill", "complete"}) {
            const CommandResult run =
                run_pgphase({command, plan.string(), "--dsn", dsn_b}, m_dir.string());
            if (run.exit_code != 0) {
                trouble = std::string(command) + " exited " + std::to_string(run.exit_code) +
                          ":\n" + run.out + run.err;
                break;
            }
        }
        if (trouble.empty()) {
            orchestrator::Session b(orchestrator::Dsn(dsn_b), "convert-test plan");
            trouble = difference(schema_a, schema_of(b));
        }
        if (trouble.empty()) {
            ++round_trips;
            stubbed_round_trips += stubbed ? 1 : 0;
        } else {
            failures.push_back(name + ": " + trouble);
        }
    }
    std::cout << "[ round trip ] " << files.size() << " files: " << round_trips << " round-trip ("
              << stubbed_round_trips << " on a stubbed pre-state), " << no_prestate
              << " have no pre-state they apply to (load only), " << needs_input
              << " need an `up` filled in (load only), " << failures.size() << " differ\n";
    std::set<std::string> unexpected;
    for (const std::string& failure : failures) {
        std::cout << failure << "\n";
        const std::string name = failure.substr(0, failure.find(':'));
        if (known_differences().count(name) == 0) {
            unexpected.insert(name);
        }
    }
    EXPECT_TRUE(unexpected.empty()) << "files that no longer round-trip (see the output above)";
    EXPECT_GE(round_trips, 56);
}

} // namespace
} // namespace pgphase::testing
