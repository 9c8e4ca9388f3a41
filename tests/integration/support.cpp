// Database-per-test fixture and process helpers.
#include "tests/integration/support.hpp"

#include "planners/sql/quote.hpp"

#include <cctype>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pgphase::testing {

namespace {

namespace fs = std::filesystem;

} // namespace

std::string with_database(const std::string& dsn, const std::string& database) {
    const auto query = dsn.find('?');
    const std::string base = dsn.substr(0, query);
    const std::string rest = query == std::string::npos ? "" : dsn.substr(query);
    const auto slash = base.rfind('/');
    if (base.find("://") == std::string::npos || slash < base.find("://") + 3) {
        return dsn + " dbname=" + database; // key=value form
    }
    return base.substr(0, slash + 1) + database + rest;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string shell_quote(const std::string& arg) {
    std::string out = "'";
    for (char c : arg) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

CommandResult run_pgphase(const std::vector<std::string>& args, const std::string& dir) {
    std::string command = shell_quote(PGPHASE_BINARY);
    for (const auto& arg : args) {
        command += " " + shell_quote(arg);
    }
    const std::string out = dir + "/stdout";
    const std::string err = dir + "/stderr";
    command += " >" + shell_quote(out) + " 2>" + shell_quote(err);
    const int status = std::system(command.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
}

std::string sqlstate_of(orchestrator::Session& session, const std::string& sql) {
    try {
        session.execute(sql);
    } catch (const orchestrator::DatabaseError& e) {
        return e.sqlstate();
    }
    return "ok";
}

void DatabaseTest::SetUp() {
    const char* dsn = std::getenv("PGPHASE_TEST_DSN");
    if (dsn == nullptr || *dsn == '\0') {
        const char* ci = std::getenv("CI");
        if (ci != nullptr && std::string(ci) == "true") {
            FAIL() << "PGPHASE_TEST_DSN is not set; in CI integration tests must run "
                      "(run them through scripts/with-postgres.sh)";
        }
        GTEST_SKIP() << "PGPHASE_TEST_DSN is not set; run through scripts/with-postgres.sh";
    }
    m_server_dsn = dsn;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("t_") + info->test_suite_name() + "_" + info->name();
    for (auto& c : name) {
        c = std::isalnum(static_cast<unsigned char>(c)) != 0
                ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                : '_';
    }
    m_database = planners::derived_name({name});
    orchestrator::Session server(orchestrator::Dsn(m_server_dsn), "pgphase-test setup");
    server.execute("DROP DATABASE IF EXISTS " + planners::quote_ident(m_database) +
                   " WITH (FORCE)");
    server.execute("CREATE DATABASE " + planners::quote_ident(m_database));
    m_dsn = with_database(m_server_dsn, m_database);
    m_admin = connect("pgphase-test admin");
    m_dir = (fs::temp_directory_path() / ("pgphase-" + m_database)).string();
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
}

void DatabaseTest::TearDown() {
    m_admin.reset();
    if (m_database.empty()) {
        return;
    }
    try {
        orchestrator::Session server(orchestrator::Dsn(m_server_dsn), "pgphase-test teardown");
        server.execute("DROP DATABASE IF EXISTS " + planners::quote_ident(m_database) +
                       " WITH (FORCE)");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "could not drop test database: " << e.what();
    }
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
}

std::unique_ptr<orchestrator::Session> DatabaseTest::connect(const std::string& application_name) {
    return std::make_unique<orchestrator::Session>(orchestrator::Dsn(m_dsn), application_name);
}

std::string DatabaseTest::scalar(const std::string& sql) {
    const orchestrator::Rows rows = m_admin->query(sql);
    return rows.empty() ? std::string() : rows.text(0, 0);
}

std::vector<std::string> DatabaseTest::column_names(const std::string& table) {
    const orchestrator::Rows rows = m_admin->query(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        {table});
    std::vector<std::string> names;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        names.push_back(rows.text(i, 0));
    }
    return names;
}

std::vector<std::string> DatabaseTest::app_columns(const std::string& table) {
    std::vector<std::string> names;
    for (auto& name : column_names(table)) {
        if (name.rfind("_pgphase_dropped_", 0) != 0 && name.rfind("_pgphase_written_", 0) != 0) {
            names.push_back(std::move(name));
        }
    }
    return names;
}

std::string DatabaseTest::write_plan(const std::string& name, const std::string& yaml) {
    const std::string path = m_dir + "/" + name + ".yaml";
    std::ofstream(path, std::ios::binary) << yaml;
    return path;
}

CommandResult DatabaseTest::pgphase(const std::vector<std::string>& args) {
    std::vector<std::string> with_dsn = args;
    with_dsn.push_back("--dsn");
    with_dsn.push_back(m_dsn);
    return run_pgphase(with_dsn, m_dir);
}

int DatabaseTest::spawn_pgphase(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {PGPHASE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--dsn");
    argv.push_back(m_dsn);
    return spawn(argv);
}

int DatabaseTest::spawn_shell(const std::string& script) {
    return spawn({"/bin/bash", "-c", script});
}

std::string DatabaseTest::user_shell(const std::string& dir) const {
    return "cd " + shell_quote(dir) +
           " && export PATH=" + shell_quote(fs::path(PGPHASE_BINARY).parent_path().string()) +
           ":\"$PATH\" DATABASE_URL=" + shell_quote(m_dsn) + " && ";
}

CommandResult DatabaseTest::run_script(const std::string& dir, const std::string& script,
                                       const std::string& variables) {
    std::ofstream(dir + "/.script.sh") << script;
    const std::string command =
        user_shell(dir) + variables + " bash -e .script.sh >.script.out 2>&1 </dev/null";
    const int status = std::system(command.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(dir + "/.script.out");
    return result;
}

int DatabaseTest::spawn(std::vector<std::string> argv_storage) {
    const std::string log = m_dir + "/spawned.log";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (auto& arg : argv_storage) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

std::optional<int> DatabaseTest::wait_for_exit(int pid, std::chrono::milliseconds deadline) {
    int status = 0;
    const bool exited =
        eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, deadline);
    if (!exited) {
        return std::nullopt;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string DatabaseTest::spawned_output() const {
    return read_file(m_dir + "/spawned.log");
}

bool DatabaseTest::eventually(const std::function<bool()>& condition,
                              std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // polling interval
    }
    return condition();
}

} // namespace pgphase::testing
