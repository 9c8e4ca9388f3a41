// What `pgphase serve` reads and changes in the state store, through one session: snapshots
// for the pages, the JSON API and /metrics (cached for a second, so that many clients cost the
// database no more than one), and the pause/resume/tune controls. Every statement runs under a
// statement_timeout; events and samples are read newest first with a limit.
#pragma once

#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/serve/view.hpp"
#include "orchestrator/state/store.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace pgphase::orchestrator::serve {

struct DataLimits {
    int events = 50;                                    // recent events on a migration page
    int samples = 2'000;                                // chart points per backfill step
    std::chrono::milliseconds statement_timeout{5'000}; // each read and control
    std::chrono::milliseconds cache{1'000};             // a snapshot is reused this long
};

class ServeData {
public:
    // `base`: where this database's pages live (Snapshot::base).
    ServeData(Dsn dsn, std::string state_schema, std::string base = "", DataLimits limits = {});
    ~ServeData();
    ServeData(const ServeData&) = delete;
    ServeData& operator=(const ServeData&) = delete;

    // Every migration: status, batch times and lock retries (no events, no samples).
    Snapshot overview();
    // One migration with its recent events and its samples: `migrations` holds it, or nothing
    // when there is no such migration.
    Snapshot migration(const std::string& name);
    // `pgphase history NAME --json`; nullopt when there is no such migration.
    std::optional<nlohmann::json> history(const std::string& name);
    // pause, resume or tune, as the CLI does; `actor` is written to the event log. False when
    // there is no such migration.
    bool control(const std::string& name, const std::string& command, const Controls& tuning,
                 const std::string& actor);

private:
    // One read of the state store: every migration (name "") for the overview, or one
    // migration with its samples and recent events for its page.
    Snapshot read_snapshot(const std::string& name);
    Session& session(); // connects (again) when needed
    void details(StateStore& store, MigrationView& view, bool with_history);

    Dsn m_dsn;
    std::string m_state_schema;
    std::string m_base;
    // A database that could not be reached is not tried again for a while: a fleet page must
    // not wait on it at every request.
    std::optional<std::pair<std::chrono::steady_clock::time_point, DatabaseError>> m_down;
    DataLimits m_limits;
    std::unique_ptr<Session> m_session;
    std::string m_database;
    bool m_ensured = false;
    std::optional<std::pair<std::chrono::steady_clock::time_point, Snapshot>> m_overview;
    std::map<std::string, std::pair<std::chrono::steady_clock::time_point, Snapshot>> m_pages;
};

} // namespace pgphase::orchestrator::serve
