// Keyset batch SQL. Bounds are parameters cast to the key's own types; identifiers are quoted.
#include "orchestrator/engine/backfill.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>

namespace pgphase::orchestrator {

namespace {

using planners::quote_ident;
using planners::quote_literal;

std::string joined(const std::vector<KeyColumn>& key, const std::string& suffix) {
    std::string out;
    for (const auto& column : key) {
        out += out.empty() ? "" : ", ";
        out += quote_ident(column.name) + suffix;
    }
    return out;
}

// ("a", "b")
std::string tuple(const std::vector<KeyColumn>& key) {
    return "(" + joined(key, "") + ")";
}

// ($3::bigint, $4::text)
std::string parameters(const std::vector<KeyColumn>& key, std::size_t first) {
    std::string out;
    for (std::size_t i = 0; i < key.size(); ++i) {
        out += out.empty() ? "" : ", ";
        out += "$" + std::to_string(first + i) + "::" + key[i].type;
    }
    return "(" + out + ")";
}

std::string as_json(const std::vector<KeyColumn>& key) {
    return "pg_catalog.json_build_array(" + joined(key, "::text") + ")::text";
}

void append_key(Params& params, const nlohmann::json& value) {
    for (const auto& item : value) {
        params.push_back(item.get<std::string>());
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

std::string batch_settings(const planners::Settings& settings) {
    // The batch gives way, not the application: it waits for locks only briefly, and one that
    // runs far past its target is cancelled (and retried smaller).
    const auto statement =
        std::max<std::int64_t>(30'000, 20 * settings.backfill.target_batch_time.count());
    return "SET LOCAL lock_timeout = " +
           quote_literal(std::to_string(settings.lock_timeout.count()) + "ms") +
           "; SET LOCAL statement_timeout = " + quote_literal(std::to_string(statement) + "ms") +
           "; SET LOCAL " + planners::backfill_setting + " = 'on'";
}

struct Bound {
    std::int64_t visited = 0;            // keys found, at most `size`
    std::optional<nlohmann::json> upper; // the largest of them
};

// The next batch: the largest of the first `size` keys matching `where` (may be empty).
// Sized by rows, not by key distance, so sparse keys cannot blow a batch up.
Bound next_bound(Transaction& tx, const std::string& table, const std::vector<KeyColumn>& key,
                 const std::string& where, const Params& params, std::int64_t size) {
    const Rows bound = tx.query(
        "WITH batch AS (SELECT " + joined(key, "") + " FROM " + table +
            (where.empty() ? "" : " WHERE " + where) + " ORDER BY " + joined(key, "") + " LIMIT " +
            std::to_string(size) + ") SELECT (SELECT count(*) FROM batch), (SELECT " +
            as_json(key) + " FROM batch ORDER BY " + joined(key, " DESC") + " LIMIT 1)",
        params);
    Bound out;
    out.visited = std::stoll(bound.text(0, 0));
    if (out.visited > 0) {
        out.upper = nlohmann::json::parse(bound.text(0, 1));
    }
    return out;
}

bool integer_type(const std::string& type) {
    return type == "bigint" || type == "integer" || type == "smallint";
}

} // namespace

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
                           "table " + task.table.display() +
                               " has no primary key to walk for the backfill",
                           "add a primary key; walking tables without one (by ctid) is not "
                           "supported yet");
    }
    std::vector<KeyColumn> key;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        key.push_back({rows.text(i, 0), rows.text(i, 1)});
    }
    return key;
}

Checkpoint pin_range(Session& session, const planners::BackfillTask& task,
                     const std::vector<KeyColumn>& key) {
    const std::string table = task.table.sql();
    Checkpoint checkpoint;
    const Rows end = session.query("SELECT " + as_json(key) + " FROM " + table + " ORDER BY " +
                                   joined(key, " DESC") + " LIMIT 1");
    if (!end.empty()) {
        checkpoint.end_key = nlohmann::json::parse(end.text(0, 0));
        const Rows start = session.query("SELECT " + as_json(key) + " FROM " + table +
                                         " ORDER BY " + joined(key, "") + " LIMIT 1");
        checkpoint.start_key = nlohmann::json::parse(start.text(0, 0));
    }
    const Rows estimate =
        session.query("SELECT greatest(reltuples, 0)::bigint FROM pg_catalog.pg_class WHERE oid = "
                      "pg_catalog.to_regclass($1)",
                      {table});
    checkpoint.total_estimate = estimate.empty() ? 0 : std::stoll(estimate.text(0, 0));
    return checkpoint;
}

BatchOutcome run_batch(Session& session, StateStore& store, const std::string& migration, int step,
                       const planners::BackfillTask& task, const std::vector<KeyColumn>& key,
                       Checkpoint& checkpoint, std::int64_t size,
                       const planners::Settings& settings) {
    const std::string table = task.table.sql();
    BatchOutcome outcome;
    Checkpoint next = checkpoint;
    session.transaction([&](Transaction& tx) {
        tx.execute(batch_settings(settings));
        Params params;
        std::string lower;
        if (checkpoint.last_key) {
            append_key(params, *checkpoint.last_key);
            lower = tuple(key) + " > " + parameters(key, 1) + " AND ";
        }
        const std::size_t lower_count = params.size();
        append_key(params, *checkpoint.end_key);
        const Bound bound = next_bound(
            tx, table, key, lower + tuple(key) + " <= " + parameters(key, lower_count + 1), params,
            size);
        outcome.visited = bound.visited;
        if (outcome.visited == 0) {
            outcome.range_done = true;
            next.end_key.reset();
            store.save_checkpoint(tx, migration, step, next);
            store.mark_step(tx, migration, step, true);
            return;
        }
        const nlohmann::json& upper = *bound.upper;
        Params update_params(params.begin(),
                             params.begin() + static_cast<std::ptrdiff_t>(lower_count));
        append_key(update_params, upper);
        const Rows changed = tx.query(
            "UPDATE " + table + " SET " + assignments(task) + " WHERE " + lower + tuple(key) +
                " <= " + parameters(key, lower_count + 1) + " AND (" + task.pending_predicate + ")",
            update_params);
        outcome.updated = static_cast<std::int64_t>(changed.affected);
        next.last_key = upper;
        next.rows_done += outcome.visited;
        next.batches += 1;
        store.save_checkpoint(tx, migration, step, next);
    });
    checkpoint = next;
    return outcome;
}

VerifyBatch verify_batch(Session& session, const planners::BackfillTask& task,
                         const std::vector<KeyColumn>& key,
                         const std::optional<nlohmann::json>& after, std::int64_t size,
                         std::size_t max_samples) {
    const std::string table = task.table.sql();
    std::string differs;
    for (const auto& assignment : task.set) {
        differs += differs.empty() ? "" : " OR ";
        differs += quote_ident(assignment.column) + "::text IS DISTINCT FROM (" +
                   assignment.expression + ")::text";
    }
    VerifyBatch batch;
    session.transaction([&](Transaction& tx) {
        tx.execute("SET TRANSACTION READ ONLY");
        tx.execute("SET LOCAL statement_timeout = '60s'");
        Params params;
        std::string lower;
        if (after) {
            append_key(params, *after);
            lower = tuple(key) + " > " + parameters(key, 1);
        }
        const Bound bound = next_bound(tx, table, key, lower, params, size);
        batch.visited = bound.visited;
        if (batch.visited == 0) {
            return;
        }
        batch.upper = bound.upper;
        Params range = params;
        append_key(range, *batch.upper);
        const std::string where = (after ? tuple(key) + " > " + parameters(key, 1) + " AND " : "") +
                                  tuple(key) + " <= " + parameters(key, params.size() + 1) +
                                  " AND (" + differs + ")";
        batch.mismatches = std::stoll(
            tx.query("SELECT count(*) FROM " + table + " WHERE " + where, range).text(0, 0));
        if (batch.mismatches > 0 && max_samples > 0) {
            const Rows samples = tx.query("SELECT " + as_json(key) + " FROM " + table + " WHERE " +
                                              where + " ORDER BY " + joined(key, "") + " LIMIT " +
                                              std::to_string(max_samples),
                                          range);
            for (std::size_t i = 0; i < samples.rows.size(); ++i) {
                batch.samples.push_back(samples.text(i, 0));
            }
        }
    });
    return batch;
}

double progress(const std::vector<KeyColumn>& key, const Checkpoint& checkpoint) {
    if (!checkpoint.end_key) {
        return 1.0;
    }
    if (!checkpoint.last_key) {
        return 0.0;
    }
    if (key.size() == 1 && integer_type(key[0].type) && checkpoint.start_key) {
        const double start = std::stod(checkpoint.start_key->at(0).get<std::string>());
        const double end = std::stod(checkpoint.end_key->at(0).get<std::string>());
        const double last = std::stod(checkpoint.last_key->at(0).get<std::string>());
        if (end > start) {
            return std::clamp((last - start) / (end - start), 0.0, 1.0);
        }
    }
    if (checkpoint.total_estimate > 0) {
        return std::min(0.99, static_cast<double>(checkpoint.rows_done) /
                                  static_cast<double>(checkpoint.total_estimate));
    }
    return 0.0;
}

std::int64_t count_pending(Session& session, const planners::BackfillTask& task) {
    const Rows rows = session.query("SELECT count(*) FROM " + task.table.sql() + " WHERE (" +
                                    task.pending_predicate + ")");
    return std::stoll(rows.text(0, 0));
}

} // namespace pgphase::orchestrator
