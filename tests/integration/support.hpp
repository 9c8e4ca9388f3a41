// Integration test support: a fresh database per test on the throwaway server named by
// PGPHASE_TEST_DSN, SQL clients that play the old and the new app version, and the real
// pgphase binary run as a user would run it.
#pragma once

#include "orchestrator/pg/session.hpp"

#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::testing {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `sql` on `session`: "ok", or the SQLSTATE it failed with (what a client sees).
std::string sqlstate_of(orchestrator::Session& session, const std::string& sql);

// `dsn` (a URL or a key=value string) naming `database` instead.
std::string with_database(const std::string& dsn, const std::string& database);

// A file's bytes, "" when it cannot be read.
std::string read_file(const std::string& path);

// `arg` in single quotes for sh.
std::string shell_quote(const std::string& arg);

// Runs build/pgphase with `args` as given (no --dsn added, for commands that need no database
// or name their own), its stdout and stderr kept in files in `dir`.
CommandResult run_pgphase(const std::vector<std::string>& args, const std::string& dir);

class DatabaseTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // A new connection to this test's database, e.g. an "old" or "new" app client.
    std::unique_ptr<orchestrator::Session> connect(const std::string& application_name = "test");

    orchestrator::Session& db() { return *m_admin; }
    const std::string& dsn() const { return m_dsn; }
    // This test's temp directory (removed after the test).
    const std::string& dir() const { return m_dir; }

    // First column of the first row, "" for NULL.
    std::string scalar(const std::string& sql);
    std::vector<std::string> column_names(const std::string& table);
    // The same without the tombstones contract keeps and their markers (docs/undo.md): the
    // columns an app sees.
    std::vector<std::string> app_columns(const std::string& table);

    // Writes a plan file into this test's temp dir and returns its path.
    std::string write_plan(const std::string& name, const std::string& yaml);

    // Runs build/pgphase with `args` plus --dsn for this database.
    CommandResult pgphase(const std::vector<std::string>& args);
    // Starts it in the background; returns the pid.
    int spawn_pgphase(const std::vector<std::string>& args);
    // Starts `bash -c script` in the background; returns the pid (the command's own when the
    // script ends in `exec command`).
    int spawn_shell(const std::string& script);

    // The start of a command line as a user's shell would run it: in `dir`, with pgphase on
    // PATH and DATABASE_URL at this test's database ("cd DIR && export ... && ").
    std::string user_shell(const std::string& dir) const;
    // Runs `script` with `bash -e` there, `variables` ("A=1 B=2") set for it; `out` holds what
    // it printed on stdout and stderr, interleaved.
    CommandResult run_script(const std::string& dir, const std::string& script,
                             const std::string& variables = "");

    // Waits for a spawned process; its exit code (128+signal if killed), or nullopt on timeout.
    static std::optional<int> wait_for_exit(int pid, std::chrono::milliseconds deadline);
    // What the last spawned process printed (stdout and stderr).
    std::string spawned_output() const;

    // Polls `condition` until true or the deadline passes (never a bare sleep).
    static bool eventually(const std::function<bool()>& condition,
                           std::chrono::milliseconds deadline = std::chrono::seconds(30));

private:
    // Runs argv[0] with stdout and stderr to spawned.log.
    int spawn(std::vector<std::string> argv_storage);

    std::string m_server_dsn;
    std::string m_database;
    std::string m_dsn;
    std::string m_dir;
    std::unique_ptr<orchestrator::Session> m_admin;
};

} // namespace pgphase::testing
