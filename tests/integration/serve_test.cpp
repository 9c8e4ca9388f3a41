// `pgphase serve` as its users meet it: a throttled backfill runs while /metrics is scraped
// (and checked by promtool), the JSON API is compared with `status --json`, the controls are
// tried without and with the token, and a real headless Chromium loads the migration page.
#include "tests/integration/backfill_support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

struct Reply {
    unsigned status = 0;
    std::string body;
    std::string content_type;
};

// One request on its own connection, as curl would send it.
Reply request(unsigned short port, const std::string& method, const std::string& target,
              const std::string& token = "", const std::string& body = "") {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(20s);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> out{http::string_to_verb(method), target, 11};
    out.set(http::field::host, "127.0.0.1");
    if (!token.empty()) {
        out.set(http::field::authorization, "Bearer " + token);
    }
    if (!body.empty()) {
        out.set(http::field::content_type, "application/json");
        out.body() = body;
    }
    out.prepare_payload();
    http::write(stream, out);
    beast::flat_buffer buffer;
    http::response<http::string_body> in;
    http::read(stream, buffer, in);
    return {in.result_int(), in.body(), std::string(in[http::field::content_type])};
}

bool have(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// A test tool that scripts/test.sh installs: missing in CI is a failure, elsewhere a skip.
#define REQUIRE_TOOL(tool)                                                                         \
    do {                                                                                           \
        if (!have(tool)) {                                                                         \
            const char* ci = std::getenv("CI");                                                    \
            if (ci != nullptr && std::string(ci) == "true") {                                      \
                FAIL() << tool << " is not installed; scripts/deps.sh --test installs it";         \
            }                                                                                      \
            GTEST_SKIP() << tool << " is not installed (scripts/deps.sh --test installs it)";      \
        }                                                                                          \
    } while (false)

// A metric's value in Prometheus text, e.g. pgphase_backfill_rows_done{...}; -1 when absent.
double metric(const std::string& text, const std::string& name) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0) {
            return std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return -1;
}

class Serve : public BackfillTest {
protected:
    void TearDown() override {
        for (const int pid : m_pids) {
            ::kill(pid, SIGTERM);
            wait_for_exit(pid, 10s);
        }
        BackfillTest::TearDown();
    }

    // Starts `pgphase serve` on a free port with `--dsn` (or `source`, e.g. "--fleet FILE");
    // fills port() and token().
    void start_serve(const std::vector<std::string>& extra = {}, const std::string& source = "") {
        std::string command = "exec " + std::string(PGPHASE_BINARY) + " serve " +
                              (source.empty() ? "--dsn '" + dsn() + "'" : source) +
                              " --listen 127.0.0.1:0";
        for (const auto& arg : extra) {
            command += " " + arg;
        }
        m_pids.push_back(
            spawn_shell(command + " >" + dir() + "/serve.out 2>" + dir() + "/serve.err"));
        // The matches point into `out`, which must outlive them.
        std::string out;
        std::smatch found;
        ASSERT_TRUE(eventually(
            [&] {
                out = read_file(dir() + "/serve.out");
                return std::regex_search(out, found, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"));
            },
            20s))
            << read_file(dir() + "/serve.err");
        m_port = static_cast<unsigned short>(std::stoi(found[1].str()));
        std::smatch token;
        if (std::regex_search(out, token, std::regex(R"(shown once\): (\S+))"))) {
            m_token = token[1].str();
        }
    }

    unsigned short port() const { return m_port; }
    const std::string& token() const { return m_token; }
    Reply get(const std::string& target) { return request(m_port, "GET", target); }

    // 60,000 rows at 5,000 rows/s: a backfill of about 12 s, long enough to watch.
    std::string watched_plan() {
        create_counted_users(", PRIMARY KEY (id)", 60000);
        db().execute("ANALYZE users"); // the estimate behind rows_estimated and the ETA
        return slow_plan();
    }

    // A file beside the test logs (build/test-artifacts/NAME), kept after the test.
    static std::string artifact(const std::string& name) {
        const auto dir = std::filesystem::path(PGPHASE_BINARY).parent_path() / "test-artifacts";
        std::filesystem::create_directories(dir);
        return (dir / name).string();
    }

    std::vector<int> m_pids;

private:
    unsigned short m_port = 0;
    std::string m_token;
};

TEST_F(Serve, MetricsFollowAThrottledBackfillAndPromtoolAcceptsThem) {
    REQUIRE_TOOL("promtool");
    const std::string plan = watched_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    start_serve();
    const int backfill = spawn_pgphase({"backfill", plan});
    m_pids.push_back(backfill);
    ASSERT_TRUE(eventually([&] { return rows_done() >= 1000; })) << spawned_output();

    const Reply first = get("/metrics");
    ASSERT_EQ(first.status, 200u) << first.body;
    EXPECT_EQ(first.content_type, "text/plain; version=0.0.4; charset=utf-8");
    const double rows_first = metric(first.body, "pgphase_backfill_rows_done");
    ASSERT_GE(rows_first, 0) << first.body;
    std::string second;
    ASSERT_TRUE(eventually([&] {
        second = get("/metrics").body;
        return metric(second, "pgphase_backfill_rows_done") > rows_first;
    })) << second;
    EXPECT_NE(
        second.find("pgphase_migration_phase{migration=\"slow_rename\",phase=\"backfilling\"} 1"),
        std::string::npos)
        << second;
    EXPECT_GT(metric(second, "pgphase_backfill_rows_estimated"), 0) << second;

    for (const auto& [name, text] : {std::pair{"first", first.body}, {"second", second}}) {
        const std::string file = dir() + "/metrics-" + name + ".txt";
        std::ofstream(file) << text;
        const CommandResult checked =
            run_script(dir(), "promtool check metrics < " + file + " 2>&1");
        EXPECT_EQ(checked.exit_code, 0) << checked.out;
        EXPECT_EQ(checked.out, "") << "promtool's complaints about the " << name << " scrape";
    }

    // The batch-time histogram counts the batches so far, and the status page agrees.
    const auto code = wait_for_exit(backfill, 60s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    m_pids.pop_back();
    expect_every_row_written_once("60000");
    std::string last;
    ASSERT_TRUE(eventually([&] {
        last = get("/metrics").body;
        return metric(last, "pgphase_backfill_progress_ratio") == 1;
    })) << last;
    const double batches = metric(last, "pgphase_backfill_batch_seconds_count");
    EXPECT_GE(batches, 60000.0 / 500) << last;
    EXPECT_EQ(metric(last, "pgphase_backfill_rows_done"), 60000) << last;
}

TEST_F(Serve, TheApiIsStatusJsonAndAPauseNeedsTheToken) {
    const std::string plan = watched_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    start_serve();
    ASSERT_FALSE(token().empty()) << read_file(dir() + "/serve.out");
    const int backfill = spawn_pgphase({"backfill", plan});
    m_pids.push_back(backfill);
    ASSERT_TRUE(eventually([&] { return rows_done() >= 1000; })) << spawned_output();

    // Without the token: 401, and the backfill goes on.
    const Reply refused = request(port(), "POST", "/api/migrations/slow_rename/pause");
    EXPECT_EQ(refused.status, 401u) << refused.body;
    const Reply wrong = request(port(), "POST", "/api/migrations/slow_rename/pause", token() + "x");
    EXPECT_EQ(wrong.status, 401u) << wrong.body;
    const std::int64_t before = rows_done();
    EXPECT_TRUE(eventually([&] { return rows_done() >= before + 2000; }));
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.controls WHERE paused"), "0");

    // With it: paused, as `pgphase pause` would.
    const Reply paused = request(port(), "POST", "/api/migrations/slow_rename/pause", token());
    ASSERT_EQ(paused.status, 200u) << paused.body;
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT state FROM pgphase.backfill_status") == "paused";
    })) << spawned_output();
    const CommandResult status = pgphase({"status"});
    EXPECT_NE(status.out.find("via serve from 127.0.0.1"), std::string::npos) << status.out;

    // While paused the state holds still: the API is `status --json`, byte for byte but the
    // time of the last report (the paused engine reports every 2 s).
    auto without_report_times = [](nlohmann::json all) {
        for (auto& migration : all) {
            for (auto& step : migration["backfills"]) {
                step.erase("reported_at");
            }
        }
        return all;
    };
    // (The server caches a read for a second: the first answers may predate the pause.)
    nlohmann::json api;
    nlohmann::json cli;
    EXPECT_TRUE(eventually(
        [&] {
            const Reply reply = get("/api/migrations");
            EXPECT_EQ(reply.content_type, "application/json");
            api = without_report_times(nlohmann::json::parse(reply.body));
            cli = without_report_times(nlohmann::json::parse(pgphase({"status", "--json"}).out));
            return api == cli;
        },
        10s))
        << api.dump(2) << "\n"
        << cli.dump(2);
    EXPECT_TRUE(eventually(
        [&] {
            api = without_report_times(
                nlohmann::json::parse(get("/api/migrations/slow_rename").body));
            cli = without_report_times(
                nlohmann::json::parse(pgphase({"status", "slow_rename", "--json"}).out));
            return api == cli;
        },
        10s))
        << api.dump(2) << "\n"
        << cli.dump(2);
    const Reply history = get("/api/migrations/slow_rename/history");
    EXPECT_EQ(nlohmann::json::parse(history.body),
              nlohmann::json::parse(pgphase({"history", "slow_rename", "--json"}).out));
    EXPECT_EQ(get("/api/migrations/nope").status, 404u);

    // A tune with a bad body changes nothing; a good one is recorded.
    EXPECT_EQ(request(port(), "POST", "/api/migrations/slow_rename/tune", token(),
                      R"({"max_rows_per_second": "fast"})")
                  .status,
              400u);
    EXPECT_EQ(request(port(), "POST", "/api/migrations/slow_rename/tune", token(),
                      R"({"max_rows_per_second": 20000, "target_batch_time": "100ms"})")
                  .status,
              200u);
    EXPECT_EQ(scalar("SELECT max_rows_per_second || ' ' || target_batch_time_ms FROM "
                     "pgphase.controls"),
              "20000 100");

    ASSERT_EQ(request(port(), "POST", "/api/migrations/slow_rename/resume", token()).status, 200u);
    const auto code = wait_for_exit(backfill, 60s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    m_pids.pop_back();
    expect_every_row_written_once("60000");
    EXPECT_EQ(scalar("SELECT string_agg(event, ',' ORDER BY id) FROM pgphase.events WHERE event "
                     "IN ('backfill.paused', 'backfill.resumed')"),
              "backfill.paused,backfill.resumed");
    EXPECT_NE(scalar("SELECT actor FROM pgphase.events WHERE event = 'backfill.paused'")
                  .find(" via serve from 127.0.0.1"),
              std::string::npos);
}

TEST_F(Serve, AHeadlessChromiumShowsTheMigrationAndItsProgress) {
    REQUIRE_TOOL("chromium");
    const std::string plan = watched_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    start_serve();
    const int backfill = spawn_pgphase({"backfill", plan});
    m_pids.push_back(backfill);
    ASSERT_TRUE(eventually([&] { return rows_done() >= 5000; })) << spawned_output();
    // The engine reports its progress every second; its first report (at 0) may be the latest.
    ASSERT_TRUE(eventually([&] {
        return scalar("SELECT bool_or(progress > 0) FROM pgphase.backfill_status") == "t";
    })) << spawned_output();

    const std::string url =
        "http://127.0.0.1:" + std::to_string(port()) + "/migrations/slow_rename";
    const std::string chromium =
        "chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
        "--no-first-run --user-data-dir=" +
        dir() + "/chromium ";
    const CommandResult dom = run_script(dir(), chromium + "--dump-dom '" + url + "' 2>/dev/null");
    ASSERT_EQ(dom.exit_code, 0) << dom.out;
    EXPECT_NE(dom.out.find("slow_rename"), std::string::npos) << dom.out;
    EXPECT_NE(dom.out.find("expanded"), std::string::npos) << "the phase";
    std::smatch progress;
    ASSERT_TRUE(std::regex_search(dom.out, progress,
                                  std::regex(R"re(<progress[^>]*value="(\d+(\.\d+)?)")re")))
        << dom.out;
    const double value = std::stod(progress[1].str());
    EXPECT_GT(value, 0) << dom.out;
    EXPECT_LT(value, 100);

    const std::string shot = artifact("serve-migration-page.png");
    std::filesystem::remove(shot);
    const CommandResult screenshot = run_script(
        dir(), chromium + "--hide-scrollbars --window-size=1100,1500 --screenshot=" + shot + " '" +
                   url + "' 2>&1");
    EXPECT_EQ(screenshot.exit_code, 0) << screenshot.out;
    EXPECT_GT(std::filesystem::exists(shot) ? std::filesystem::file_size(shot) : 0, 10'000u)
        << "a screenshot of the page, written to " << shot;

    const auto code = wait_for_exit(backfill, 60s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << spawned_output();
    m_pids.pop_back();
}

TEST_F(Serve, HostileNamesAreEscapedAndBadRequestsChangeNothing) {
    db().execute(R"(CREATE TABLE "<b>users</b>" (id bigint PRIMARY KEY, "a&""b" text))");
    db().execute(R"(INSERT INTO "<b>users</b>" SELECT g, 'x' FROM generate_series(1, 100) g)");
    const std::string plan = write_plan("hostile", R"yaml(
name: hostile_backfill
changes:
  - backfill:
      table: "<b>users</b>"
      set: {"a&\"b": "upper(\"a&\"\"b\")"}
)yaml");
    const CommandResult started = pgphase({"start", plan});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    start_serve();

    for (const std::string page : {"/", "/migrations/hostile_backfill"}) {
        const Reply reply = get(page);
        ASSERT_EQ(reply.status, 200u) << page;
        EXPECT_EQ(reply.body.find("<b>users</b>"), std::string::npos) << page << reply.body;
        if (page != "/") { // the index names migrations, not tables
            EXPECT_NE(reply.body.find("&lt;b&gt;users&lt;/b&gt;"), std::string::npos)
                << page << reply.body;
        }
    }
    const Reply missing = get("/migrations/%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(missing.body.find("<script>alert(1)"), std::string::npos) << missing.body;

    // No password in any answer: the DSN's is the test server's.
    const std::string metrics = get("/metrics").body;
    EXPECT_EQ(metrics.find("postgresql://"), std::string::npos);

    // Too large a request: 413; an unknown control: 404; a GET of a control: not a control.
    const Reply large = request(port(), "POST", "/api/migrations/hostile_backfill/tune", token(),
                                std::string(64 * 1024, ' '));
    EXPECT_EQ(large.status, 413u);
    EXPECT_EQ(request(port(), "POST", "/api/migrations/hostile_backfill/drop", token()).status,
              404u);
    EXPECT_EQ(request(port(), "DELETE", "/api/migrations/hostile_backfill", token()).status, 405u);
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.controls"), "0");

    // A client that sends half a request and waits does not hold the server.
    asio::io_context io;
    asio::ip::tcp::socket slow(io);
    slow.connect({asio::ip::make_address("127.0.0.1"), port()});
    asio::write(slow, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));
    EXPECT_EQ(get("/").status, 200u);
}

TEST_F(Serve, ListeningBeyondLoopbackNeedsATokenFile) {
    const CommandResult refused = pgphase({"serve", "--listen", "0.0.0.0:0"});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("needs --token-file"), std::string::npos) << refused.err;
    std::ofstream(dir() + "/short-token") << "abc\n";
    const CommandResult short_token =
        pgphase({"serve", "--listen", "127.0.0.1:0", "--token-file", dir() + "/short-token"});
    EXPECT_EQ(short_token.exit_code, 2);
    EXPECT_NE(short_token.err.find("shorter than 16 characters"), std::string::npos)
        << short_token.err;
    EXPECT_EQ(pgphase({"serve", "--listen", "nowhere"}).exit_code, 2);

    // With a token file, the controls take that token and none is printed.
    std::ofstream(dir() + "/token") << "0123456789abcdef0123456789abcdef\n";
    start_serve({"--token-file", dir() + "/token"});
    EXPECT_EQ(token(), "");
    EXPECT_EQ(
        request(port(), "POST", "/api/migrations/none/pause", "0123456789abcdef0123456789abcdef")
            .status,
        404u);

    // Its port is taken now: a second server says so and how to pick another.
    const CommandResult taken =
        pgphase({"serve", "--listen", "127.0.0.1:" + std::to_string(port())});
    EXPECT_EQ(taken.exit_code, 2);
    EXPECT_NE(taken.err.find("address already in use"), std::string::npos) << taken.err;
    EXPECT_NE(taken.err.find("--listen"), std::string::npos) << taken.err;
}

// serve --fleet on two real servers: one target with a migration in flight, one without, and
// one that cannot be reached. Every page and scrape shows the two that answer.
TEST_F(Serve, AFleetShowsEveryTargetAndControlsEachOnItsOwn) {
    REQUIRE_TOOL("promtool");
    const char* second = std::getenv("PGPHASE_TEST_DSN_2");
    if (second == nullptr || *second == '\0') {
        const char* ci = std::getenv("CI");
        if (ci != nullptr && std::string(ci) == "true") {
            FAIL() << "PGPHASE_TEST_DSN_2 is not set (scripts/with-postgres.sh --servers 2)";
        }
        GTEST_SKIP() << "PGPHASE_TEST_DSN_2 is not set; run through scripts/with-postgres.sh "
                        "--servers 2";
    }
    const std::string other = "serve_fleet_" + std::to_string(::getpid());
    orchestrator::Session admin(orchestrator::Dsn(second), "serve fleet test");
    admin.execute("DROP DATABASE IF EXISTS \"" + other + "\"");
    admin.execute("CREATE DATABASE \"" + other + "\"");
    struct Dropper {
        orchestrator::Session& admin;
        std::string database;
        ~Dropper() {
            try {
                admin.execute("DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)");
            } catch (const std::exception&) { // the server may be gone: nothing to clean
            }
        }
    } drop{admin, other};

    const std::string plan = watched_plan();
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const std::string fleet = dir() + "/fleet.yaml";
    std::ofstream(fleet) << "targets:\n  - {name: one, dsn: \"" << dsn() << "\"}\n"
                         << "  - {name: two, dsn: \"" << with_database(second, other) << "\"}\n"
                         << "  - {name: down, dsn: \"postgresql://nobody:secret@127.0.0.1:1/x\"}\n";
    start_serve({}, "--fleet " + fleet);
    const auto fleet_port = port();
    ASSERT_FALSE(token().empty());
    const auto fleet_get = [&](const std::string& target) {
        return request(fleet_port, "GET", target);
    };

    const Reply index = fleet_get("/");
    ASSERT_EQ(index.status, 200u);
    EXPECT_NE(index.body.find("href=\"/targets/one/\""), std::string::npos) << index.body;
    EXPECT_NE(index.body.find("href=\"/targets/two/\""), std::string::npos) << index.body;
    EXPECT_NE(index.body.find("unreachable"), std::string::npos) << index.body;
    EXPECT_EQ(index.body.find("secret"), std::string::npos) << "no password on the page";

    const Reply one = fleet_get("/targets/one/migrations/slow_rename");
    ASSERT_EQ(one.status, 200u) << one.body;
    EXPECT_NE(one.body.find("data-api=\"/targets/one/api/migrations/slow_rename\""),
              std::string::npos);
    EXPECT_EQ(fleet_get("/targets/two/migrations/slow_rename").status, 404u);
    EXPECT_EQ(fleet_get("/targets/nope/").status, 404u);

    const Reply metrics = fleet_get("/metrics");
    ASSERT_EQ(metrics.status, 200u);
    EXPECT_NE(metrics.body.find("pgphase_target_up{target=\"one\"} 1"), std::string::npos);
    EXPECT_NE(metrics.body.find("pgphase_target_up{target=\"two\"} 1"), std::string::npos);
    EXPECT_NE(metrics.body.find("pgphase_target_up{target=\"down\"} 0"), std::string::npos);
    EXPECT_NE(metrics.body.find("pgphase_migration_phase{target=\"one\",migration=\"slow_rename\","
                                "phase=\"expanded\"} 1"),
              std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("pgphase_migrations{target=\"two\",phase=\"completed\"} 0"),
              std::string::npos)
        << metrics.body;
    EXPECT_EQ(metrics.body.find("secret"), std::string::npos);
    std::ofstream(dir() + "/fleet-metrics.txt") << metrics.body;
    const CommandResult checked =
        run_script(dir(), "promtool check metrics < " + dir() + "/fleet-metrics.txt 2>&1");
    EXPECT_EQ(checked.exit_code, 0) << checked.out;
    EXPECT_EQ(checked.out, "");

    const auto targets = nlohmann::json::parse(fleet_get("/api/targets").body);
    ASSERT_EQ(targets["targets"].size(), 3u) << targets.dump(2);
    EXPECT_EQ(targets["targets"][0]["migrations"].size(), 1u);
    EXPECT_EQ(targets["targets"][1]["migrations"].size(), 0u);
    EXPECT_FALSE(targets["targets"][2]["reachable"].get<bool>());

    // A control goes to its own target only.
    const Reply paused =
        request(fleet_port, "POST", "/targets/one/api/migrations/slow_rename/pause", token());
    ASSERT_EQ(paused.status, 200u) << paused.body;
    EXPECT_EQ(scalar("SELECT count(*) FROM pgphase.controls WHERE paused"), "1");
    EXPECT_EQ(request(fleet_port, "POST", "/targets/two/api/migrations/slow_rename/pause", token())
                  .status,
              404u);
}

} // namespace
} // namespace pgphase::testing
