// Keyset-bounded batches: find the batch's upper key among the next `batch_size` keys, update
// the pending rows in (last, upper], save the checkpoint in the same transaction.
#include "orchestrator/engine/backfill.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/sql/quote.hpp"

#include <chrono>

namespace pgphase::orchestrator {

namespace {

using planners::quote_ident;
using planners::quote_literal;

struct KeyColumn {
    std::string name;
    std::string type;
};

std::vector<KeyColumn> resolve_key(Session& session, const planners::BackfillTask& task) {
    const std::string table = task.table.sql();
    Rows rows;
    if (task.key.empty()) {
        rows = session.query("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
                             "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_attribute a "
                             "ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey) "
                             "WHERE x.indrelid = pg_catalog.to_regclass($1) AND x.indisprimary "
                             "ORDER BY pg_catalog.array_position(x.indkey::int2[], a.attnum)",
                             {table});
    } else {
        for (const auto& column : task.key) {
            Rows one = session.query(
                "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
                "FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_catalog.to_regclass($1) "
                "AND a.attname = $2 AND NOT a.attisdropped",
                {table, column});
            rows.rows.insert(rows.rows.end(), one.rows.begin(), one.rows.end());
        }
    }
    if (rows.empty()) {
        throw CommandError(ExitCode::failed,
                           "table " + table + " has no primary key to walk for the backfill",
                           "add a primary key; walking tables without one is not supported yet");
    }
    std::vector<KeyColumn> key;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        key.push_back({rows.text(i, 0), rows.text(i, 1)});
    }
    return key;
}

class KeySql {
public:
    explicit KeySql(std::vector<KeyColumn> key)
        : m_key(std::move(key)) {}

    std::size_t size() const { return m_key.size(); }

    // ("a", "b")
    std::string columns(const std::string& prefix = {}) const {
        std::string out;
        for (const auto& column : m_key) {
            out += out.empty() ? "" : ", ";
            out += prefix + quote_ident(column.name);
        }
        return "(" + out + ")";
    }

    // ($3::bigint, $4::text): the type text comes from format_type, the values are parameters
    std::string parameters(std::size_t first) const {
        std::string out;
        for (std::size_t i = 0; i < m_key.size(); ++i) {
            out += out.empty() ? "" : ", ";
            out += "$" + std::to_string(first + i) + "::" + m_key[i].type;
        }
        return "(" + out + ")";
    }

    std::string order(bool descending) const {
        std::string out;
        for (const auto& column : m_key) {
            out += out.empty() ? "" : ", ";
            out += quote_ident(column.name) + (descending ? " DESC" : "");
        }
        return out;
    }

    // json_build_array("a"::text, "b"::text)
    std::string as_json() const {
        std::string out;
        for (const auto& column : m_key) {
            out += out.empty() ? "" : ", ";
            out += quote_ident(column.name) + "::text";
        }
        return "pg_catalog.json_build_array(" + out + ")::text";
    }

private:
    std::vector<KeyColumn> m_key;
};

void append_key(Params& params, const nlohmann::json& key) {
    for (const auto& value : key) {
        params.push_back(value.get<std::string>());
    }
}

std::string assignments(const planners::BackfillTask& task) {
    std::string out;
    for (const auto& assignment : task.set) {
        out += out.empty() ? "" : ", ";
        out += quote_ident(assignment.column) + " = " + assignment.expression;
    }
    return out;
}

std::string settings_sql(const planners::Settings& settings) {
    const auto lock = settings.lock_timeout.count();
    // A batch that runs long gives way rather than holding row locks against the app.
    const auto statement =
        std::max<std::int64_t>(30'000, 20 * settings.backfill.target_batch_time.count());
    return "SET LOCAL lock_timeout = " + quote_literal(std::to_string(lock) + "ms") +
           "; SET LOCAL statement_timeout = " + quote_literal(std::to_string(statement) + "ms");
}

} // namespace

std::int64_t count_pending(Session& session, const planners::BackfillTask& task) {
    const Rows rows = session.query("SELECT count(*) FROM " + task.table.sql() + " WHERE (" +
                                    task.pending_predicate + ")");
    return std::stoll(rows.text(0, 0));
}

BackfillResult run_backfill(Session& session, StateStore& store, const std::string& migration,
                            int step_index, const planners::BackfillTask& task,
                            const planners::Settings& settings, const BackfillOptions& options) {
    const KeySql key(resolve_key(session, task));
    const std::string table = task.table.sql();
    BackfillResult result;

    std::optional<Checkpoint> checkpoint = store.checkpoint(migration, step_index);
    if (!checkpoint) {
        // The sync triggers are live (expand committed), so rows written from now on are
        // already right: pinning the end here makes one sweep complete.
        const Rows end = session.query("SELECT " + key.as_json() + " FROM " + table + " ORDER BY " +
                                       key.order(true) + " LIMIT 1");
        checkpoint = Checkpoint{};
        if (!end.empty()) {
            checkpoint->end_key = nlohmann::json::parse(end.text(0, 0));
        }
        session.transaction([&](Transaction& tx) {
            store.save_checkpoint(tx, migration, step_index, *checkpoint);
        });
        log::info("backfill.pinned", {{"migration", migration},
                                      {"table", task.table.display()},
                                      {"end_key", checkpoint->end_key ? checkpoint->end_key->dump()
                                                                      : "(empty table)"}});
    } else {
        log::info("backfill.resumed",
                  {{"migration", migration},
                   {"table", task.table.display()},
                   {"after_key", checkpoint->last_key ? checkpoint->last_key->dump() : "(start)"},
                   {"rows_done", std::to_string(checkpoint->rows_done)}});
    }

    const std::int64_t batch_size = settings.backfill.batch_size;
    const auto started = std::chrono::steady_clock::now();
    auto last_report = started;
    int failures = 0;
    while (checkpoint->end_key) {
        if (options.max_batches > 0 && result.batches >= options.max_batches) {
            result.rows_visited = checkpoint->rows_done;
            return result;
        }
        Checkpoint next = *checkpoint;
        std::int64_t visited = 0;
        std::int64_t updated = 0;
        try {
            session.transaction([&](Transaction& tx) {
                tx.execute(settings_sql(settings));
                Params params;
                std::string lower;
                std::size_t n = 1;
                if (checkpoint->last_key) {
                    append_key(params, *checkpoint->last_key);
                    lower = key.columns() + " > " + key.parameters(n) + " AND ";
                    n += key.size();
                }
                append_key(params, *checkpoint->end_key);
                const std::string upper_end = key.columns() + " <= " + key.parameters(n);
                n += key.size();
                const Rows bound = tx.query(
                    "WITH batch AS (SELECT " + key.columns().substr(1, key.columns().size() - 2) +
                        " FROM " + table + " WHERE " + lower + upper_end + " ORDER BY " +
                        key.order(false) + " LIMIT " + std::to_string(batch_size) +
                        ") SELECT (SELECT count(*) FROM batch), (SELECT " + key.as_json() +
                        " FROM batch ORDER BY " + key.order(true) + " LIMIT 1)",
                    params);
                visited = std::stoll(bound.text(0, 0));
                if (visited == 0) {
                    next.end_key.reset(); // nothing left in the pinned range
                    store.save_checkpoint(tx, migration, step_index, next);
                    store.mark_step(tx, migration, step_index, true);
                    return;
                }
                const nlohmann::json upper = nlohmann::json::parse(bound.text(0, 1));
                Params update_params(params.begin(),
                                     params.begin() + static_cast<std::ptrdiff_t>(
                                                          checkpoint->last_key ? key.size() : 0));
                append_key(update_params, upper);
                const std::size_t upper_first = checkpoint->last_key ? key.size() + 1 : 1;
                const Rows changed =
                    tx.query("UPDATE " + table + " SET " + assignments(task) + " WHERE " + lower +
                                 key.columns() + " <= " + key.parameters(upper_first) + " AND (" +
                                 task.pending_predicate + ")",
                             update_params);
                updated = static_cast<std::int64_t>(changed.affected);
                next.last_key = upper;
                next.rows_done += visited;
                next.batches += 1;
                store.save_checkpoint(tx, migration, step_index, next);
            });
        } catch (const DatabaseError& e) {
            if (!e.retryable() || ++failures > settings.lock_retries) {
                throw CommandError(
                    e.lock_timeout() ? ExitCode::lock_gave_up : ExitCode::failed,
                    "backfill of " + task.table.display() + " failed after key " +
                        (checkpoint->last_key ? checkpoint->last_key->dump() : "(start)") + ": " +
                        e.what() + " (SQLSTATE " + e.sqlstate() + ")",
                    "the batch in flight was rolled back with its checkpoint; rerun "
                    "\"pgphase backfill\" to resume from the checkpoint");
            }
            log::warn("backfill.retry", {{"migration", migration},
                                         {"table", task.table.display()},
                                         {"attempt", std::to_string(failures)},
                                         {"sqlstate", e.sqlstate()},
                                         {"error", e.what()}});
            if (options.sleep) {
                options.sleep(
                    planners::Milliseconds(std::min(10'000, 100 << std::min(failures, 7))));
            }
            continue;
        }
        failures = 0;
        *checkpoint = next;
        if (visited == 0) {
            break;
        }
        result.batches += 1;
        result.rows_updated += updated;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_report > std::chrono::seconds(2)) {
            last_report = now;
            const double seconds = std::chrono::duration<double>(now - started).count();
            log::info("backfill.progress",
                      {{"migration", migration},
                       {"table", task.table.display()},
                       {"rows_done", std::to_string(checkpoint->rows_done)},
                       {"rows_per_second", std::to_string(static_cast<std::int64_t>(
                                               static_cast<double>(result.rows_updated) /
                                               std::max(seconds, 0.001)))}});
        }
    }
    if (!checkpoint->end_key && result.batches == 0) {
        // Empty table, or a rerun after the sweep ended: make sure the step is recorded.
        store.mark_step(migration, step_index, true);
    }
    result.rows_visited = checkpoint->rows_done;
    result.finished = true;
    return result;
}

} // namespace pgphase::orchestrator
