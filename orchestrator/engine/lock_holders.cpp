// Reads the sessions that hold a table's locks (see lock_holders.hpp).
#include "orchestrator/engine/lock_holders.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace pgphase::orchestrator {

std::vector<LockHolder> lock_holders(Session& session, const planners::QualifiedName& table,
                                     int limit) {
    std::vector<LockHolder> out;
    if (table.name.empty()) {
        return out;
    }
    try {
        // One row per session, its strongest-looking mode first; pg_blocking_pids cannot be
        // asked any more, since the attempt that waited has already given up.
        const Rows rows = session.query(
            "SELECT a.pid::text, coalesce(a.application_name, ''), "
            "       string_agg(l.mode, ', ' ORDER BY l.mode), coalesce(a.state, ''), "
            "       coalesce(extract(epoch FROM pg_catalog.now() - "
            "                coalesce(a.xact_start, a.query_start, a.backend_start)), 0), "
            "       left(split_part(coalesce(a.query, ''), E'\\n', 1), 120), "
            "       a.backend_type IS NOT NULL, "
            "       coalesce(a.backend_type = 'autovacuum worker', false), "
            "       coalesce(a.query LIKE '%(to prevent wraparound)%', false) "
            "FROM pg_catalog.pg_locks l "
            "JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'relation' AND l.granted "
            "  AND l.relation = pg_catalog.to_regclass($1) "
            "  AND l.pid <> pg_catalog.pg_backend_pid() "
            "GROUP BY a.pid, a.application_name, a.state, a.xact_start, a.query_start, "
            "         a.backend_start, a.backend_type, a.query "
            "ORDER BY coalesce(a.xact_start, a.query_start, a.backend_start) "
            "LIMIT $2",
            {table.sql(), std::to_string(limit)});
        for (std::size_t i = 0; i < rows.rows.size(); ++i) {
            out.push_back({rows.text(i, 0), rows.text(i, 1), rows.text(i, 2), rows.text(i, 3),
                           std::stod(rows.text(i, 4)), rows.text(i, 5), rows.text(i, 6) == "t",
                           rows.text(i, 7) == "t", rows.text(i, 8) == "t"});
        }
    } catch (const std::exception&) { // a DatabaseError, or a number std::stod cannot read
        out.clear();
    }
    return out;
}

std::string describe(const std::vector<LockHolder>& holders) {
    constexpr std::size_t shown = 3;
    std::string out;
    for (std::size_t i = 0; i < holders.size() && i < shown; ++i) {
        const LockHolder& holder = holders[i];
        if (!out.empty()) {
            out += "; ";
        }
        if (!holder.visible) {
            out += "pid " + holder.pid + " (" + holder.mode +
                   "; this role may not see what the session is: pg_read_all_stats would)";
            continue;
        }
        std::array<char, 32> age{};
        std::snprintf(age.data(), age.size(), "%.1f s", holder.age_seconds);
        out += "pid " + holder.pid + " \"" + holder.application_name + "\" (" + holder.mode + ", " +
               (holder.state.empty() ? "in transaction" : holder.state) + " for " + age.data() +
               ")";
        if (!holder.query.empty()) {
            out += ": " + holder.query;
        }
    }
    if (holders.size() > shown) {
        out += "; and " + std::to_string(holders.size() - shown) + " more";
    }
    return out;
}

bool blocked_by_cancellable_autovacuum(const std::vector<LockHolder>& holders) {
    constexpr double transient_seconds = 1.0;
    const auto cancellable = [](const LockHolder& h) { return h.autovacuum && !h.wraparound; };
    return std::any_of(holders.begin(), holders.end(), cancellable) &&
           std::all_of(holders.begin(), holders.end(), [&](const LockHolder& h) {
               return cancellable(h) ||
                      (h.visible && !h.autovacuum && h.age_seconds < transient_seconds);
           });
}

bool cancel_autovacuum(Session& session, const planners::QualifiedName& table,
                       const std::string& pid) {
    // Checked again in the statement that signals: the pid may have ended, or been reused.
    const Rows rows = session.query(
        "SELECT pg_catalog.pg_cancel_backend(a.pid) FROM pg_catalog.pg_stat_activity a "
        "WHERE a.pid = $1::int AND a.backend_type = 'autovacuum worker' "
        "  AND a.query NOT LIKE '%(to prevent wraparound)%' "
        "  AND EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.pid = a.pid "
        "              AND l.locktype = 'relation' AND l.granted "
        "              AND l.relation = pg_catalog.to_regclass($2))",
        {pid, table.sql()});
    return !rows.empty() && rows.text(0, 0) == "t";
}

planners::Milliseconds deadlock_timeout(Session& session) {
    try {
        // pg_settings gives it in milliseconds whatever unit it was set in.
        return planners::Milliseconds(std::stoll(
            session
                .query("SELECT setting FROM pg_catalog.pg_settings WHERE name = 'deadlock_timeout'")
                .text(0, 0)));
    } catch (const std::exception&) {
        return planners::Milliseconds{1'000};
    }
}

std::string advisory_lock_holder(Session& session, const std::string& key) {
    const Rows holder = session.query(
        "SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local socket'), "
        "to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE " +
            advisory_lock_granted("$1"),
        {key});
    if (holder.empty()) {
        return "another session";
    }
    return "backend pid " + holder.text(0, 0) + " (\"" + holder.text(0, 1) + "\" from " +
           holder.text(0, 2) + ", connected since " + holder.text(0, 3) + ")";
}

std::string advisory_lock_granted(const std::string& key_sql) {
    return "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND "
           "((l.classid::bigint << 32) | l.objid::bigint) = pg_catalog.hashtextextended(" +
           key_sql + ", 0)";
}

std::string migration_lock_key(const std::string& state_schema, const std::string& migration) {
    return "pgphase migration " + state_schema + "." + migration;
}

} // namespace pgphase::orchestrator
