// `pgphase convert` round trip over ../shared/corpus/prisma: database A runs a migration's
// original SQL, database B runs the converted plan through start, backfill and complete; both
// must end with the same schema. Each corpus file is one migration of some project, so the
// state before it is rebuilt from the earlier corpus files of the same project; a file that
// does not apply to that state (it needs tables from migrations the corpus lacks) is only
// converted and loaded (tests/unit/planners/convert/corpus_test.cpp). See docs/convert.md.
#include "orchestrator/pg/session.hpp"
#include "planners/convert/converter.hpp"
#include "planners/sql/quote.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(PGPHASE_SOURCE_DIR) / ".." / "shared" / "corpus" / "prisma";

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string with_database(const std::string& dsn, const std::string& database) {
    const auto query = dsn.find('?');
    const std::string base = dsn.substr(0, query);
    const std::string rest = query == std::string::npos ? "" : dsn.substr(query);
    const auto slash = base.rfind('/');
    if (base.find("://") == std::string::npos || slash < base.find("://") + 3) {
        return dsn + " dbname=" + database;
    }
    return base.substr(0, slash + 1) + database + rest;
}

std::string shell_quote(const std::string& arg) {
    std::string out = "'";
    for (char c : arg) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

struct CommandRun {
    int exit_code = -1;
    std::string output;
};

CommandRun run_pgphase(const std::vector<std::string>& args) {
    std::string command = shell_quote(PGPHASE_BINARY);
    for (const std::string& arg : args) {
        command += " " + shell_quote(arg);
    }
    command += " 2>&1";
    CommandRun run;
    FILE* pipe = ::popen(command.c_str(), "r"); // NOLINT(cert-env33-c): the test's own binary
    std::array<char, 4096> buffer{};
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        run.output.append(buffer.data(), got);
    }
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

// Everything both databases must agree on, one line per object, sorted. Left out on purpose
// (docs/convert.md): column order (pgphase's shadow columns append), sequences and how a key
// column is generated (serial's nextval default and identity both read "generated"), and the
// schemas pgphase keeps (its state, the version schemas of views).
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
  WHERE n.nspname = 'public' AND NOT tg.tgisinternal
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
        return false;
    }
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
    int no_prestate = 0;
    int needs_input = 0;
    std::vector<std::string> failures;
    for (const fs::path& file : files) {
        const std::string name = file.filename().string();
        const std::string project = project_of(name);
        const std::string sql = slurp(file);
        const auto converted = planners::convert::convert_sql(file.string(), sql);
        ASSERT_FALSE(converted.errors.has_errors()) << name;

        const std::string dsn_a = fresh("convert_rt_a", earlier[project]);
        bool applies = false;
        std::vector<std::string> schema_a;
        {
            orchestrator::Session a(orchestrator::Dsn(dsn_a), "convert-test original");
            applies = apply(a, sql);
            if (applies) {
                schema_a = schema_of(a);
            }
        }
        earlier[project].push_back(sql);
        if (!applies) {
            ++no_prestate;
            continue;
        }
        if (converted.to_fill > 0) {
            ++needs_input;
            continue;
        }
        const std::string dsn_b =
            fresh("convert_rt_b",
                  std::vector<std::string>(earlier[project].begin(), earlier[project].end() - 1));
        const fs::path plan = m_dir / (name + ".yaml");
        std::ofstream(plan) << converted.yaml;
        std::string trouble;
        for (const char* command : {"start", "backfill", "complete"}) {
            const CommandRun run = run_pgphase({command, plan.string(), "--dsn", dsn_b});
            if (run.exit_code != 0) {
                trouble = std::string(command) + " exited " + std::to_string(run.exit_code) +
                          ":\n" + run.output;
                break;
            }
        }
        if (trouble.empty()) {
            orchestrator::Session b(orchestrator::Dsn(dsn_b), "convert-test plan");
            trouble = difference(schema_a, schema_of(b));
        }
        if (trouble.empty()) {
            ++round_trips;
        } else {
            failures.push_back(name + ": " + trouble);
        }
    }
    std::cout << "[ round trip ] " << files.size() << " files: " << round_trips << " round-trip, "
              << no_prestate << " need tables the corpus lacks (load only), " << needs_input
              << " need an `up` filled in (load only), " << failures.size() << " failed\n";
    for (const std::string& failure : failures) {
        std::cout << failure << "\n";
    }
    EXPECT_TRUE(failures.empty());
}

} // namespace
} // namespace pgphase::testing
