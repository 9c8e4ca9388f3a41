// Keyset and ctid page-range batch SQL. Bounds are parameters cast to the key's own types (or
// to tid); identifiers are quoted.
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

std::string batch_settings(const planners::Settings& settings, const planners::BackfillTask& task) {
    // The batch gives way, not the application: it waits for locks only briefly, and one that
    // runs far past its target is cancelled (and retried smaller).
    const auto statement =
        std::max<std::int64_t>(30'000, 20 * settings.backfill.target_batch_time.count());
    // A batch commits with its checkpoint, so it need not wait for its WAL to reach the disk:
    // a server crash loses the last batches and their checkpoints together, and the backfill
    // writes them again (the engine reloads its checkpoints when it reconnects). Measured: about
    // 10% of a sweep on a server with fsync on (docs/performance.md).
    return "SET LOCAL lock_timeout = " +
           quote_literal(std::to_string(settings.lock_timeout.count()) + "ms") +
           "; SET LOCAL statement_timeout = " + quote_literal(std::to_string(statement) + "ms") +
           "; SET LOCAL synchronous_commit = off; SET LOCAL " + planners::backfill_setting + " = " +
           quote_literal(task.trigger_tag.empty() ? "on" : task.trigger_tag);
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

std::string conjoin(const std::string& a, const std::string& b) {
    return a.empty() ? b : (b.empty() ? a : a + " AND " + b);
}

// The worker's share of the key range, on the first key column: `after` < k1 <= `through`.
std::string worker_bounds(const std::vector<KeyColumn>& key,
                          const std::optional<nlohmann::json>& bounds, Params& params) {
    std::string out;
    if (!bounds) {
        return out;
    }
    const std::string column = quote_ident(key.at(0).name);
    if (bounds->contains("after") && !bounds->at("after").is_null()) {
        params.push_back(bounds->at("after").get<std::string>());
        out = conjoin(out, column + " > $" + std::to_string(params.size()) + "::" + key[0].type);
    }
    if (bounds->contains("through") && !bounds->at("through").is_null()) {
        params.push_back(bounds->at("through").get<std::string>());
        out = conjoin(out, column + " <= $" + std::to_string(params.size()) + "::" + key[0].type);
    }
    return out;
}

std::int64_t number(const nlohmann::json& array) {
    return std::stoll(array.at(0).get<std::string>());
}

nlohmann::json page_json(std::int64_t page) {
    return nlohmann::json::array({std::to_string(page)});
}

std::string tid(std::int64_t page) {
    return "(" + std::to_string(page) + ",0)";
}

// Pages in the table's main fork now (exact, unlike pg_class.relpages).
std::int64_t table_pages(Session& session, const std::string& table) {
    return std::stoll(
        session
            .query("SELECT (pg_catalog.pg_relation_size(pg_catalog.to_regclass($1)) / "
                   "pg_catalog.current_setting('block_size')::bigint)::bigint",
                   {table})
            .text(0, 0));
}

// One page batch: the pages [checkpoint's next page, + size), at most to the pinned end.
//
// Why walking by ctid neither skips nor repeats a row although an UPDATE moves a row to a new
// ctid: the page count is pinned after the sync triggers are live, and the batch touches only
// pending rows. A row the backfill itself updates may land on a later page, beyond the cursor
// (or in another worker's range); it then already satisfies the new shape, so the batch that
// reaches that page skips it instead of writing it again. A row the application moves (or
// inserts) anywhere, earlier pages included, was written through the live trigger and is
// right already. A batch that rolls back takes its row moves and its checkpoint with it.
BatchOutcome run_page_batch(Session& session, StateStore& store, const std::string& migration,
                            int step, const planners::BackfillTask& task, Checkpoint& checkpoint,
                            std::int64_t size, const planners::Settings& settings) {
    const std::string table = task.table.sql();
    const std::int64_t end = number(*checkpoint.end_key);
    const std::int64_t from =
        checkpoint.last_key ? number(*checkpoint.last_key) : number(*checkpoint.start_key);
    const std::int64_t to = std::min(end, from + std::max<std::int64_t>(1, size));
    BatchOutcome outcome;
    Checkpoint next = checkpoint;
    session.transaction([&](Transaction& tx) {
        if (from < end) {
            tx.execute(batch_settings(settings, task));
            const std::string range = "ctid >= $1::tid AND ctid < $2::tid";
            const Rows counts = tx.query(
                "WITH seen AS (SELECT count(*) AS n FROM " + table + " WHERE " + range +
                    "), changed AS (UPDATE " + table + " SET " + assignments(task) + " WHERE " +
                    range + " AND (" + task.pending_predicate +
                    ") RETURNING 1) SELECT (SELECT n FROM seen), (SELECT count(*) FROM changed)",
                {tid(from), tid(to)});
            outcome.visited = std::stoll(counts.text(0, 0));
            outcome.updated = std::stoll(counts.text(0, 1));
            outcome.pages = to - from;
            next.last_key = page_json(to);
            next.rows_done += outcome.visited;
            next.batches += 1;
        }
        if (to >= end) {
            outcome.range_done = true;
            next.end_key.reset();
        }
        store.save_checkpoint(tx, migration, step, next);
    });
    checkpoint = next;
    return outcome;
}

// The rows whose columns differ from what the task's SET gives, compared as text.
std::string differs_condition(const planners::BackfillTask& task) {
    std::string differs;
    for (const auto& assignment : task.set) {
        differs += differs.empty() ? "" : " OR ";
        differs += quote_ident(assignment.column) + "::text IS DISTINCT FROM (" +
                   assignment.expression + ")::text";
    }
    return differs;
}

// A verify batch's transaction: read-only, each statement under `timeout`.
void read_only(Transaction& tx, planners::Milliseconds timeout) {
    tx.execute("SET TRANSACTION READ ONLY");
    tx.execute("SET LOCAL statement_timeout = " +
               quote_literal(std::to_string(timeout.count()) + "ms"));
}

// The rows of pages [from, to): how many, how many differ, and up to `max_samples` of the
// latter (keys; ctids for a keyless table), in one read-only transaction.
VerifyBatch count_pages(Session& session, const std::string& table,
                        const std::vector<KeyColumn>& key, const std::string& differs,
                        std::int64_t from, std::int64_t to, std::size_t max_samples,
                        planners::Milliseconds timeout = verify_batch_timeout) {
    VerifyBatch batch;
    session.transaction([&](Transaction& tx) {
        read_only(tx, timeout);
        const std::string range = "ctid >= $1::tid AND ctid < $2::tid";
        const Params params = {tid(from), tid(to)};
        const Rows counts = tx.query("SELECT count(*), count(*) FILTER (WHERE " + differs +
                                         ") FROM " + table + " WHERE " + range,
                                     params);
        batch.visited = std::stoll(counts.text(0, 0));
        batch.mismatches = std::stoll(counts.text(0, 1));
        if (batch.mismatches > 0 && max_samples > 0) {
            const std::string sample =
                key.empty() ? "pg_catalog.json_build_array(ctid::text)::text" : as_json(key);
            const Rows samples =
                tx.query("SELECT " + sample + " FROM " + table + " WHERE " + range + " AND (" +
                             differs + ") ORDER BY ctid LIMIT " + std::to_string(max_samples),
                         params);
            for (std::size_t i = 0; i < samples.rows.size(); ++i) {
                batch.samples.push_back(samples.text(i, 0));
            }
        }
    });
    batch.upper = page_json(to);
    return batch;
}

// A keyless table's batch: pages from `after` on, samples named by ctid.
VerifyBatch verify_pages(Session& session, const planners::BackfillTask& task,
                         const std::string& differs, const std::optional<nlohmann::json>& after,
                         std::int64_t size, std::size_t max_samples) {
    const std::string table = task.table.sql();
    // About `size` rows per read at a typical density; a run of empty pages is read on until
    // rows turn up, since visited = 0 means done to the caller.
    const std::int64_t step = std::max<std::int64_t>(1, size / 50);
    const std::int64_t end = table_pages(session, table);
    VerifyBatch batch;
    std::int64_t from = after ? number(*after) : 0;
    while (batch.visited == 0 && from < end) {
        const std::int64_t to = std::min(end, from + step);
        batch = count_pages(session, table, {}, differs, from, to, max_samples);
        from = to;
    }
    return batch;
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
    if (rows.empty() && task.key.empty()) {
        // No primary key: walk ctid page ranges, which only a TID range scan makes cheap.
        const Rows server = session.query(
            "SELECT pg_catalog.current_setting('server_version_num')::int, "
            "pg_catalog.current_setting('server_version'), pg_catalog.to_regclass($1) IS NULL",
            {table});
        if (server.text(0, 2) == "t") {
            throw CommandError(ExitCode::failed,
                               "table " + task.table.display() + " does not exist");
        }
        if (std::stoi(server.text(0, 0)) < planners::tid_range_scan_version) {
            throw CommandError(ExitCode::failed,
                               planners::keyless_walk_refusal(task.table, server.text(0, 1)),
                               "add a primary key to the table, or upgrade the server");
        }
        return {};
    }
    if (rows.rows.size() != task.key.size() && !task.key.empty()) {
        throw CommandError(ExitCode::failed,
                           "table " + task.table.display() + " lacks a key column of the backfill");
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
    if (key.empty()) {
        const std::int64_t pages = table_pages(session, table);
        checkpoint.start_key = page_json(0);
        if (pages > 0) {
            checkpoint.end_key = page_json(pages);
        }
        checkpoint.bounds = nlohmann::json{{"pages", true}};
    }
    const Rows end = key.empty() ? Rows{}
                                 : session.query("SELECT " + as_json(key) + " FROM " + table +
                                                 " ORDER BY " + joined(key, " DESC") + " LIMIT 1");
    if (!key.empty() && !end.empty()) {
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

std::vector<Checkpoint> split_range(Session& session, const planners::BackfillTask& task,
                                    const std::vector<KeyColumn>& key, const Checkpoint& pinned,
                                    int workers) {
    if (workers <= 1 || !pinned.end_key) {
        return {pinned};
    }
    std::vector<Checkpoint> out;
    if (key.empty()) {
        const std::int64_t pages = number(*pinned.end_key);
        const std::int64_t n = std::min<std::int64_t>(workers, pages);
        for (std::int64_t i = 0; i < n; ++i) {
            Checkpoint part = pinned;
            const std::int64_t first = pages * i / n;
            const std::int64_t end = pages * (i + 1) / n;
            part.worker = static_cast<int>(i);
            part.start_key = page_json(first);
            part.end_key = page_json(end);
            part.total_estimate = pinned.total_estimate * (end - first) / pages;
            out.push_back(part);
        }
        return out;
    }
    // Quantiles of the first key column over a sample of about 1000 pages (all of a small
    // table), so ranges hold about as many rows each even when keys are skewed or sparse.
    const std::int64_t pages = table_pages(session, task.table.sql());
    const double percent =
        pages > 0 ? std::min(100.0, 100.0 * 1000.0 / static_cast<double>(pages)) : 100.0;
    std::string fractions;
    for (int i = 1; i < workers; ++i) {
        fractions += (fractions.empty() ? "" : ",") +
                     std::to_string(static_cast<double>(i) / static_cast<double>(workers));
    }
    const std::string column = quote_ident(key[0].name);
    const Rows quantiles = session.query(
        "SELECT pg_catalog.json_agg(q::text ORDER BY n) FROM pg_catalog.unnest((SELECT "
        "percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY " +
            column + ") FROM " + task.table.sql() +
            " TABLESAMPLE SYSTEM ($2::float8))) WITH ORDINALITY AS u(q, n)",
        {"{" + fractions + "}", std::to_string(percent)});
    std::vector<std::string> cuts;
    const std::string last = pinned.end_key->at(0).get<std::string>();
    if (quantiles.at(0, 0)) {
        for (const auto& item : nlohmann::json::parse(*quantiles.at(0, 0))) {
            const auto cut = item.get<std::string>();
            if (cut != last && (cuts.empty() || cuts.back() != cut)) {
                cuts.push_back(cut);
            }
        }
    }
    const auto parts = static_cast<std::int64_t>(cuts.size()) + 1;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        Checkpoint part = pinned;
        part.worker = static_cast<int>(i);
        part.bounds =
            nlohmann::json{{"after", i > 0 ? nlohmann::json(cuts[i - 1]) : nullptr},
                           {"through", i < cuts.size() ? nlohmann::json(cuts[i]) : nullptr}};
        part.total_estimate = pinned.total_estimate / parts;
        out.push_back(part);
    }
    return out;
}

double expected_rows_per_page(const Checkpoint& checkpoint) {
    if (!checkpoint.end_key || !checkpoint.start_key) {
        return 0;
    }
    const std::int64_t pages = number(*checkpoint.end_key) - number(*checkpoint.start_key);
    return pages > 0 ? static_cast<double>(checkpoint.total_estimate) / static_cast<double>(pages)
                     : 0;
}

BatchOutcome run_batch(Session& session, StateStore& store, const std::string& migration, int step,
                       const planners::BackfillTask& task, const std::vector<KeyColumn>& key,
                       Checkpoint& checkpoint, std::int64_t size,
                       const planners::Settings& settings) {
    if (key.empty()) {
        return run_page_batch(session, store, migration, step, task, checkpoint, size, settings);
    }
    const std::string table = task.table.sql();
    BatchOutcome outcome;
    Checkpoint next = checkpoint;
    session.transaction([&](Transaction& tx) {
        tx.execute(batch_settings(settings, task));
        // Parameters: the worker's bounds, the checkpoint, then the batch's upper key.
        Params params;
        std::string lower = worker_bounds(key, checkpoint.bounds, params);
        if (checkpoint.last_key) {
            const std::size_t first = params.size() + 1;
            append_key(params, *checkpoint.last_key);
            lower = conjoin(lower, tuple(key) + " > " + parameters(key, first));
        }
        const std::size_t lower_count = params.size();
        Params bound_params = params;
        append_key(bound_params, *checkpoint.end_key);
        const Bound bound = next_bound(
            tx, table, key, conjoin(lower, tuple(key) + " <= " + parameters(key, lower_count + 1)),
            bound_params, size);
        outcome.visited = bound.visited;
        if (outcome.visited == 0) {
            outcome.range_done = true;
            next.end_key.reset();
            store.save_checkpoint(tx, migration, step, next);
            return;
        }
        const nlohmann::json& upper = *bound.upper;
        Params update_params = params;
        append_key(update_params, upper);
        const Rows changed =
            tx.query("UPDATE " + table + " SET " + assignments(task) + " WHERE " +
                         conjoin(lower, tuple(key) + " <= " + parameters(key, lower_count + 1)) +
                         " AND (" + task.pending_predicate + ")",
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
    const std::string differs = differs_condition(task);
    if (key.empty()) {
        return verify_pages(session, task, differs, after, size, max_samples);
    }
    VerifyBatch batch;
    session.transaction([&](Transaction& tx) {
        read_only(tx, verify_batch_timeout);
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

std::int64_t relation_pages(Session& session, const planners::BackfillTask& task) {
    return table_pages(session, task.table.sql());
}

VerifyBatch verify_page_range(Session& session, const planners::BackfillTask& task,
                              const std::vector<KeyColumn>& key, std::int64_t from, std::int64_t to,
                              std::size_t max_samples, planners::Milliseconds timeout) {
    return count_pages(session, task.table.sql(), key, differs_condition(task), from, to,
                       max_samples, timeout);
}

double progress(const std::vector<KeyColumn>& key, const Checkpoint& checkpoint) {
    if (!checkpoint.end_key) {
        return 1.0;
    }
    if (key.empty()) {
        const std::int64_t first = number(*checkpoint.start_key);
        const std::int64_t end = number(*checkpoint.end_key);
        const std::int64_t next = checkpoint.last_key ? number(*checkpoint.last_key) : first;
        return end > first ? std::clamp(static_cast<double>(next - first) /
                                            static_cast<double>(end - first),
                                        0.0, 1.0)
                           : 0.0;
    }
    if (!checkpoint.last_key) {
        return 0.0;
    }
    if (key.size() == 1 && integer_type(key[0].type) && checkpoint.start_key) {
        const auto bound = [&](const char* name, const nlohmann::json& otherwise) {
            if (checkpoint.bounds && checkpoint.bounds->contains(name) &&
                !checkpoint.bounds->at(name).is_null()) {
                return std::stod(checkpoint.bounds->at(name).get<std::string>());
            }
            return std::stod(otherwise.at(0).get<std::string>());
        };
        const double start = bound("after", *checkpoint.start_key);
        const double end = bound("through", *checkpoint.end_key);
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

double progress(const std::vector<KeyColumn>& key, const std::vector<Checkpoint>& workers) {
    double weights = 0;
    for (const auto& worker : workers) {
        weights += static_cast<double>(worker.total_estimate);
    }
    double done = 0;
    for (const auto& worker : workers) {
        const double weight = weights > 0 ? static_cast<double>(worker.total_estimate) / weights
                                          : 1.0 / static_cast<double>(workers.size());
        done += weight * progress(key, worker);
    }
    return workers.empty() ? 1.0 : std::clamp(done, 0.0, 1.0);
}

std::int64_t count_pending(Session& session, const planners::BackfillTask& task) {
    const Rows rows = session.query("SELECT count(*) FROM " + task.table.sql() + " WHERE (" +
                                    task.pending_predicate + ")");
    return std::stoll(rows.text(0, 0));
}

} // namespace pgphase::orchestrator
