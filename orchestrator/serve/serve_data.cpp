// Reads the state store for `pgphase serve` through one session, with a statement_timeout, a
// limit on every list, and a one-second cache; writes the controls as the CLI does.
#include "orchestrator/serve/serve_data.hpp"

#include "orchestrator/engine/history.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "planners/sql/quote.hpp"

namespace pgphase::orchestrator::serve {

namespace {

using Clock = std::chrono::steady_clock;

// Runs `read` once, and once more on a fresh connection if the connection was lost.
template <typename Read> auto with_reconnect(std::unique_ptr<Session>& session, Read read) {
    try {
        return read();
    } catch (const DatabaseError& e) {
        if (!e.connection_lost()) {
            throw;
        }
        session.reset();
        return read();
    }
}

} // namespace

ServeData::ServeData(Dsn dsn, std::string state_schema, std::string base, DataLimits limits)
    : m_dsn(std::move(dsn))
    , m_state_schema(std::move(state_schema))
    , m_base(std::move(base))
    , m_limits(limits) {}

ServeData::~ServeData() = default;

Session& ServeData::session() {
    if (m_down && Clock::now() < m_down->first) {
        throw m_down->second;
    }
    if (!m_session) {
        try {
            m_session = std::make_unique<Session>(m_dsn, "pgphase serve");
        } catch (const DatabaseError& e) {
            m_down = std::make_pair(Clock::now() + std::chrono::seconds(10), e);
            throw;
        }
        m_down.reset();
        m_session->execute(
            "SET statement_timeout = " +
            planners::quote_literal(std::to_string(m_limits.statement_timeout.count()) + "ms"));
        m_database = m_session->query("SELECT current_database()").text(0, 0);
        if (!m_ensured) {
            StateStore(*m_session, m_state_schema, "").ensure();
            m_ensured = true;
        }
    }
    return *m_session;
}

void ServeData::details(StateStore& store, MigrationView& view, bool with_history) {
    const std::string name = view.status.at("name").get<std::string>();
    view.lock_retries = store.count_events(name, "step.lock_retry");
    for (const auto& backfill : view.status.at("backfills")) {
        const int step = backfill.at("step").get<int>(); // 1-based; the store counts from 0
        if (auto status = store.backfill_status(name, step - 1)) {
            view.batch_histograms[step] = status->batch_times;
        }
        if (with_history) {
            view.samples[step] = store.samples(name, step - 1, m_limits.samples);
        }
    }
    if (with_history) {
        view.events = store.recent_events(name, m_limits.events);
    }
}

Snapshot ServeData::read_snapshot(const std::string& name) {
    return with_reconnect(m_session, [&] {
        StateStore store(session(), m_state_schema, "");
        Snapshot read;
        read.now_ms = store.now_ms();
        read.database = m_database;
        read.base = m_base;
        if (!name.empty() && !store.find(name)) {
            return read; // no such migration: the page says so
        }
        for (auto& status : status_json(store, name, read.now_ms)) {
            MigrationView view;
            view.status = std::move(status);
            details(store, view, !name.empty());
            read.migrations.push_back(std::move(view));
        }
        return read;
    });
}

Snapshot ServeData::overview() {
    const auto now = Clock::now();
    if (m_overview && now - m_overview->first < m_limits.cache) {
        return m_overview->second;
    }
    Snapshot snapshot = read_snapshot("");
    m_overview = std::make_pair(now, snapshot);
    return snapshot;
}

Snapshot ServeData::migration(const std::string& name) {
    const auto now = Clock::now();
    // Forget pages not asked for lately: the cache holds at most the names in use.
    for (auto page = m_pages.begin(); page != m_pages.end();) {
        page = now - page->second.first >= m_limits.cache ? m_pages.erase(page) : std::next(page);
    }
    if (auto cached = m_pages.find(name); cached != m_pages.end()) {
        return cached->second.second;
    }
    Snapshot snapshot = read_snapshot(name);
    m_pages.emplace(name, std::make_pair(now, snapshot));
    return snapshot;
}

std::optional<nlohmann::json> ServeData::history(const std::string& name) {
    return with_reconnect(m_session, [&]() -> std::optional<nlohmann::json> {
        StateStore store(session(), m_state_schema, "");
        if (!store.find(name)) {
            return std::nullopt;
        }
        return history_json(store.events(name, false));
    });
}

bool ServeData::control(const std::string& name, const std::string& command, const Controls& tuning,
                        const std::string& actor) {
    const bool found = with_reconnect(m_session, [&] {
        StateStore store(session(), m_state_schema, actor);
        store.set_command(command);
        if (!store.find(name)) {
            return false;
        }
        control_backfill(store, name, command, tuning);
        return true;
    });
    // The next read shows the change.
    m_overview.reset();
    m_pages.erase(name);
    return found;
}

} // namespace pgphase::orchestrator::serve
