// State store SQL. Every write that records progress takes a Transaction, so callers commit it
// together with the work it describes (a step's DDL, a backfill batch).
#include "orchestrator/state/store.hpp"

#include "planners/sql/quote.hpp"

#include <algorithm>
#include <array>

namespace pgphase::orchestrator {

namespace {

using planners::quote_ident;

constexpr std::array<MigrationPhase, 8> all_phases = {
    MigrationPhase::expanding,    MigrationPhase::expanded,    MigrationPhase::backfilling,
    MigrationPhase::backfilled,   MigrationPhase::contracting, MigrationPhase::completed,
    MigrationPhase::rolling_back, MigrationPhase::rolled_back};

} // namespace

const char* phase_name(MigrationPhase phase) {
    switch (phase) {
    case MigrationPhase::expanding:
        return "expanding";
    case MigrationPhase::expanded:
        return "expanded";
    case MigrationPhase::backfilling:
        return "backfilling";
    case MigrationPhase::backfilled:
        return "backfilled";
    case MigrationPhase::contracting:
        return "contracting";
    case MigrationPhase::completed:
        return "completed";
    case MigrationPhase::rolling_back:
        return "rolling_back";
    case MigrationPhase::rolled_back:
        return "rolled_back";
    }
    return "expanding";
}

std::optional<MigrationPhase> phase_from_name(const std::string& name) {
    for (MigrationPhase phase : all_phases) {
        if (name == phase_name(phase)) {
            return phase;
        }
    }
    return std::nullopt;
}

StateStore::StateStore(Session& session, std::string schema, std::string actor)
    : m_session(session)
    , m_schema(std::move(schema))
    , m_actor(std::move(actor)) {}

std::string StateStore::table(const std::string& name) const {
    return quote_ident(m_schema) + "." + quote_ident(name);
}

std::string utc_sql(const std::string& column) {
    return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))";
}

void StateStore::ensure() {
    // Upgrades are numbered; each runs once, in order, under a lock so concurrent first uses
    // do not race on CREATE SCHEMA.
    const std::vector<std::string> version_1 = {
        "CREATE TABLE " + table("migrations") +
            " (name text PRIMARY KEY, schema text NOT NULL, checksum text NOT NULL, "
            "plan_text text NOT NULL, steps jsonb NOT NULL, phase text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now(), "
            "updated_at timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE " + table("steps") + " (migration text NOT NULL REFERENCES " +
            table("migrations") +
            " ON DELETE CASCADE, step integer NOT NULL, done boolean NOT NULL, "
            "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, step))",
        "CREATE TABLE " + table("backfill_checkpoints") + " (migration text NOT NULL REFERENCES " +
            table("migrations") +
            " ON DELETE CASCADE, step integer NOT NULL, last_key jsonb, end_key jsonb, "
            "rows_done bigint NOT NULL DEFAULT 0, batches bigint NOT NULL DEFAULT 0, "
            "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, step))",
        "CREATE TABLE " + table("events") +
            " (id bigserial PRIMARY KEY, migration text NOT NULL, "
            "at timestamptz NOT NULL DEFAULT clock_timestamp(), actor text NOT NULL, "
            "event text NOT NULL, detail jsonb NOT NULL DEFAULT '{}')",
        "CREATE INDEX ON " + table("events") + " (migration, id)",
    };
    // Version 2: the backfill engine's start key and estimate, runtime controls and status.
    const std::vector<std::string> version_2 = {
        "ALTER TABLE " + table("backfill_checkpoints") +
            " ADD COLUMN start_key jsonb, ADD COLUMN total_estimate bigint NOT NULL DEFAULT 0",
        "CREATE TABLE " + table("controls") + " (migration text PRIMARY KEY REFERENCES " +
            table("migrations") +
            " ON DELETE CASCADE, paused boolean NOT NULL DEFAULT false, paused_by text, "
            "max_rows_per_second bigint, max_batch_size bigint, target_batch_time_ms bigint, "
            "updated_at timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE " + table("backfill_status") + " (migration text NOT NULL REFERENCES " +
            table("migrations") +
            " ON DELETE CASCADE, step integer NOT NULL, state text NOT NULL, reason text, "
            "batch_size bigint NOT NULL DEFAULT 0, rows_per_second double precision NOT NULL "
            "DEFAULT 0, progress double precision NOT NULL DEFAULT 0, eta_seconds double "
            "precision, updated_at timestamptz NOT NULL DEFAULT now(), "
            "PRIMARY KEY (migration, step))",
    };
    // Version 3: when expand finished (the soak guard counts from it) and which command wrote
    // each event (history). A v2 store takes expanded_at from its event log, else the start.
    const std::vector<std::string> version_3 = {
        "ALTER TABLE " + table("migrations") + " ADD COLUMN expanded_at timestamptz",
        "UPDATE " + table("migrations") + " m SET expanded_at = coalesce((SELECT max(e.at) FROM " +
            table("events") +
            " e WHERE e.migration = m.name AND e.event = 'phase.expanded' AND e.at >= "
            "m.created_at), m.created_at) WHERE m.phase NOT IN ('expanding', 'rolling_back', "
            "'rolled_back')",
        "ALTER TABLE " + table("events") + " ADD COLUMN command text",
    };
    // Version 4: parallel backfill workers, one checkpoint row each. Idempotent, so it can be
    // renumbered when merged with other upgrades.
    const std::vector<std::string> version_4 = {
        "ALTER TABLE " + table("backfill_checkpoints") +
            " ADD COLUMN IF NOT EXISTS worker integer NOT NULL DEFAULT 0, "
            "ADD COLUMN IF NOT EXISTS bounds jsonb",
        "ALTER TABLE " + table("backfill_checkpoints") +
            " DROP CONSTRAINT IF EXISTS backfill_checkpoints_pkey",
        "ALTER TABLE " + table("backfill_checkpoints") +
            " ADD CONSTRAINT backfill_checkpoints_pkey PRIMARY KEY (migration, step, worker)",
    };
    // Version 5: what `pgphase serve` shows: throttle kinds, cumulative batch times, and the
    // reports kept as samples for its charts (thinned by prune_samples).
    const std::vector<std::string> version_5 = {
        "ALTER TABLE " + table("backfill_status") +
            " ADD COLUMN IF NOT EXISTS reason_kind text NOT NULL DEFAULT '', "
            "ADD COLUMN IF NOT EXISTS rows_done bigint NOT NULL DEFAULT 0, "
            "ADD COLUMN IF NOT EXISTS batch_times jsonb NOT NULL DEFAULT '{}'",
        "CREATE TABLE IF NOT EXISTS " + table("backfill_samples") +
            " (id bigserial PRIMARY KEY, migration text NOT NULL REFERENCES " +
            table("migrations") +
            " ON DELETE CASCADE, step integer NOT NULL, "
            "at timestamptz NOT NULL DEFAULT clock_timestamp(), rows_done bigint NOT NULL, "
            "rows_per_second double precision NOT NULL, batch_seconds double precision NOT "
            "NULL, batch_size bigint NOT NULL, state text NOT NULL, reason text NOT NULL, "
            "reason_kind text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS backfill_samples_migration_step_id ON " +
            table("backfill_samples") + " (migration, step, id)",
    };
    // Version 6: tombstones, what contract keeps instead of dropping (tombstones.cpp).
    const std::vector<std::vector<std::string>> upgrades = {
        version_1, version_2, version_3, version_4, version_5, tombstone_upgrade()};

    m_session.transaction([&](Transaction& tx) {
        tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                 {"pgphase state store " + m_schema});
        tx.execute("CREATE SCHEMA IF NOT EXISTS " + quote_ident(m_schema));
        tx.execute("CREATE TABLE IF NOT EXISTS " + table("schema_version") +
                   " (version integer NOT NULL)");
        const Rows version = tx.query("SELECT max(version) FROM " + table("schema_version"));
        const int have = version.at(0, 0) ? std::stoi(*version.at(0, 0)) : 0;
        if (have > current_version) {
            throw DatabaseError("state schema \"" + m_schema + "\" is at version " +
                                    std::to_string(have) + ", newer than this pgphase (" +
                                    std::to_string(current_version) + "); upgrade pgphase",
                                "", "", false);
        }
        for (int next = have + 1; next <= current_version; ++next) {
            for (const auto& statement : upgrades[static_cast<std::size_t>(next - 1)]) {
                tx.execute(statement);
            }
            tx.query("INSERT INTO " + table("schema_version") + " VALUES ($1)",
                     {std::to_string(next)});
        }
    });
}

namespace {

std::string records_query(const StateStore& store, const std::string& where) {
    return "SELECT m.name, m.schema, m.checksum, m.steps::text, m.phase, "
           "to_json(ARRAY(SELECT s.step FROM " +
           store.table("steps") +
           " s WHERE s.migration = m.name AND s.done ORDER BY s.step))::text, " +
           utc_sql("m.created_at") + ", " + utc_sql("m.updated_at") + ", m.plan_text, " +
           utc_sql("m.expanded_at") +
           ", (extract(epoch FROM m.expanded_at) * 1000)::bigint "
           "FROM " +
           store.table("migrations") + " m " + where + " ORDER BY m.created_at, m.name";
}

std::vector<MigrationRecord> to_records(const Rows& rows) {
    std::vector<MigrationRecord> out;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        MigrationRecord record;
        record.name = rows.text(i, 0);
        record.schema = rows.text(i, 1);
        record.checksum = rows.text(i, 2);
        record.steps = nlohmann::json::parse(rows.text(i, 3));
        record.phase = phase_from_name(rows.text(i, 4)).value_or(MigrationPhase::expanding);
        record.done_steps = nlohmann::json::parse(rows.text(i, 5)).get<std::vector<int>>();
        record.created_at = rows.text(i, 6);
        record.updated_at = rows.text(i, 7);
        record.plan_text = rows.text(i, 8);
        record.expanded_at = rows.text(i, 9);
        if (rows.at(i, 10)) {
            record.expanded_at_ms = std::stoll(*rows.at(i, 10));
        }
        out.push_back(std::move(record));
    }
    return out;
}

} // namespace

std::optional<MigrationRecord> StateStore::find(const std::string& migration) {
    auto records =
        to_records(m_session.query(records_query(*this, "WHERE m.name = $1"), {migration}));
    if (records.empty()) {
        return std::nullopt;
    }
    return records.front();
}

std::vector<MigrationRecord> StateStore::all() {
    return to_records(m_session.query(records_query(*this, "")));
}

std::vector<MigrationRecord> StateStore::in_flight(Transaction& tx) {
    return to_records(
        tx.query(records_query(*this, "WHERE m.phase NOT IN ($1, $2)"),
                 {phase_name(MigrationPhase::completed), phase_name(MigrationPhase::rolled_back)}));
}

void StateStore::lock_starts(Transaction& tx) {
    tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
             {"pgphase starts " + m_schema});
}

std::int64_t StateStore::now_ms() {
    return std::stoll(
        m_session.query("SELECT (extract(epoch FROM now()) * 1000)::bigint").text(0, 0));
}

void StateStore::create(Transaction& tx, const std::string& migration, const std::string& schema,
                        const std::string& checksum, const std::string& plan_text,
                        const nlohmann::json& steps) {
    tx.query("DELETE FROM " + table("migrations") + " WHERE name = $1", {migration});
    tx.query("INSERT INTO " + table("migrations") +
                 " (name, schema, checksum, plan_text, steps, phase) "
                 "VALUES ($1, $2, $3, $4, $5::jsonb, $6)",
             {migration, schema, checksum, plan_text, steps.dump(),
              phase_name(MigrationPhase::expanding)});
}

void StateStore::set_phase(Transaction& tx, const std::string& migration, MigrationPhase phase) {
    // expanded_at is when expand last finished; the soak guard before contract counts from it.
    tx.query("UPDATE " + table("migrations") +
                 " SET phase = $2, updated_at = now(), expanded_at = CASE WHEN $2 = $3 THEN now() "
                 "ELSE expanded_at END WHERE name = $1",
             {migration, phase_name(phase), phase_name(MigrationPhase::expanded)});
    event(tx, migration, std::string("phase.") + phase_name(phase));
}

void StateStore::set_phase(const std::string& migration, MigrationPhase phase) {
    m_session.transaction([&](Transaction& tx) { set_phase(tx, migration, phase); });
}

void StateStore::mark_step(Transaction& tx, const std::string& migration, int step, bool done) {
    tx.query("INSERT INTO " + table("steps") +
                 " (migration, step, done) VALUES ($1, $2, $3) ON CONFLICT (migration, step) "
                 "DO UPDATE SET done = EXCLUDED.done, updated_at = now()",
             {migration, std::to_string(step), done ? "true" : "false"});
}

void StateStore::mark_step(const std::string& migration, int step, bool done) {
    m_session.transaction([&](Transaction& tx) { mark_step(tx, migration, step, done); });
}

std::vector<Checkpoint> StateStore::checkpoints(const std::string& migration, int step) {
    const Rows rows = m_session.query(
        "SELECT last_key::text, end_key::text, rows_done, batches, "
        "start_key::text, total_estimate, worker, bounds::text FROM " +
            table("backfill_checkpoints") + " WHERE migration = $1 AND step = $2 ORDER BY worker",
        {migration, std::to_string(step)});
    const auto json = [&](std::size_t row, std::size_t column) -> std::optional<nlohmann::json> {
        if (!rows.at(row, column)) {
            return std::nullopt;
        }
        return nlohmann::json::parse(*rows.at(row, column));
    };
    std::vector<Checkpoint> out;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        Checkpoint checkpoint;
        checkpoint.last_key = json(i, 0);
        checkpoint.end_key = json(i, 1);
        checkpoint.rows_done = std::stoll(rows.text(i, 2));
        checkpoint.batches = std::stoll(rows.text(i, 3));
        checkpoint.start_key = json(i, 4);
        checkpoint.total_estimate = std::stoll(rows.text(i, 5));
        checkpoint.worker = std::stoi(rows.text(i, 6));
        checkpoint.bounds = json(i, 7);
        out.push_back(std::move(checkpoint));
    }
    return out;
}

std::optional<Checkpoint> StateStore::checkpoint(const std::string& migration, int step) {
    std::vector<Checkpoint> workers = checkpoints(migration, step);
    if (workers.empty()) {
        return std::nullopt;
    }
    if (workers.size() == 1) {
        return workers.front();
    }
    Checkpoint sum = workers.front();
    sum.rows_done = 0;
    sum.batches = 0;
    sum.total_estimate = 0;
    nlohmann::json last = nlohmann::json::array();
    for (const auto& worker : workers) {
        sum.rows_done += worker.rows_done;
        sum.batches += worker.batches;
        sum.total_estimate += worker.total_estimate;
        last.push_back(worker.last_key ? *worker.last_key : nlohmann::json());
        if (worker.end_key) {
            sum.end_key = worker.end_key;
        }
    }
    sum.last_key = last;
    return sum;
}

void StateStore::save_checkpoint(Transaction& tx, const std::string& migration, int step,
                                 const Checkpoint& checkpoint) {
    const Value last = checkpoint.last_key ? Value{checkpoint.last_key->dump()} : Value{};
    const Value end = checkpoint.end_key ? Value{checkpoint.end_key->dump()} : Value{};
    const Value start = checkpoint.start_key ? Value{checkpoint.start_key->dump()} : Value{};
    const Value bounds = checkpoint.bounds ? Value{checkpoint.bounds->dump()} : Value{};
    tx.query("INSERT INTO " + table("backfill_checkpoints") +
                 " (migration, step, last_key, end_key, rows_done, batches, start_key, "
                 "total_estimate, worker, bounds) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, "
                 "$7::jsonb, $8, $9, $10::jsonb) "
                 "ON CONFLICT (migration, step, worker) DO UPDATE SET last_key = "
                 "EXCLUDED.last_key, end_key = EXCLUDED.end_key, rows_done = EXCLUDED.rows_done, "
                 "batches = EXCLUDED.batches, start_key = EXCLUDED.start_key, "
                 "total_estimate = EXCLUDED.total_estimate, bounds = EXCLUDED.bounds, "
                 "updated_at = now()",
             {migration, std::to_string(step), last, end, std::to_string(checkpoint.rows_done),
              std::to_string(checkpoint.batches), start, std::to_string(checkpoint.total_estimate),
              std::to_string(checkpoint.worker), bounds});
}

void StateStore::clear_checkpoints(Transaction& tx, const std::string& migration) {
    tx.query("DELETE FROM " + table("backfill_checkpoints") + " WHERE migration = $1", {migration});
}

void StateStore::clear_checkpoint(Transaction& tx, const std::string& migration, int step) {
    tx.query("DELETE FROM " + table("backfill_checkpoints") + " WHERE migration = $1 AND step = $2",
             {migration, std::to_string(step)});
}

namespace {
Value optional_number(const std::optional<std::int64_t>& value) {
    return value ? Value{std::to_string(*value)} : Value{};
}
std::optional<std::int64_t> number_or_none(const Value& value) {
    return value ? std::optional<std::int64_t>(std::stoll(*value)) : std::nullopt;
}
} // namespace

Controls StateStore::controls(const std::string& migration) {
    const Rows rows =
        m_session.query("SELECT paused, coalesce(paused_by, ''), max_rows_per_second, "
                        "max_batch_size, target_batch_time_ms FROM " +
                            table("controls") + " WHERE migration = $1",
                        {migration});
    Controls controls;
    if (!rows.empty()) {
        controls.paused = rows.text(0, 0) == "t";
        controls.paused_by = rows.text(0, 1);
        controls.max_rows_per_second = number_or_none(rows.at(0, 2));
        controls.max_batch_size = number_or_none(rows.at(0, 3));
        controls.target_batch_time_ms = number_or_none(rows.at(0, 4));
    }
    return controls;
}

void StateStore::set_paused(const std::string& migration, bool paused) {
    m_session.transaction([&](Transaction& tx) {
        tx.query("INSERT INTO " + table("controls") +
                     " (migration, paused, paused_by) VALUES ($1, $2, $3) ON CONFLICT (migration) "
                     "DO UPDATE SET paused = EXCLUDED.paused, paused_by = EXCLUDED.paused_by, "
                     "updated_at = now()",
                 {migration, paused ? "true" : "false", m_actor});
        event(tx, migration, paused ? "backfill.paused" : "backfill.resumed");
    });
}

void StateStore::tune(const std::string& migration, const Controls& tuning) {
    const std::string controls = table("controls");
    m_session.transaction([&](Transaction& tx) {
        tx.query("INSERT INTO " + controls +
                     " (migration, max_rows_per_second, max_batch_size, target_batch_time_ms) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (migration) DO UPDATE SET "
                     "max_rows_per_second = coalesce(EXCLUDED.max_rows_per_second, " +
                     controls +
                     ".max_rows_per_second), max_batch_size = coalesce("
                     "EXCLUDED.max_batch_size, " +
                     controls +
                     ".max_batch_size), "
                     "target_batch_time_ms = coalesce(EXCLUDED.target_batch_time_ms, " +
                     controls + ".target_batch_time_ms), updated_at = now()",
                 {migration, optional_number(tuning.max_rows_per_second),
                  optional_number(tuning.max_batch_size),
                  optional_number(tuning.target_batch_time_ms)});
        nlohmann::json detail = nlohmann::json::object();
        if (tuning.max_rows_per_second) {
            detail["max_rows_per_second"] = *tuning.max_rows_per_second;
        }
        if (tuning.max_batch_size) {
            detail["max_batch_size"] = *tuning.max_batch_size;
        }
        if (tuning.target_batch_time_ms) {
            detail["target_batch_time_ms"] = *tuning.target_batch_time_ms;
        }
        event(tx, migration, "backfill.tuned", detail);
    });
}

void BatchTimes::record(double seconds) {
    bucket_counts.resize(bounds().size() + 1);
    const auto bucket = std::lower_bound(bounds().begin(), bounds().end(), seconds);
    ++bucket_counts[static_cast<std::size_t>(bucket - bounds().begin())];
    sum_seconds += seconds;
    ++count;
}

nlohmann::json BatchTimes::to_json() const {
    return {{"buckets", bucket_counts}, {"sum", sum_seconds}, {"count", count}};
}

BatchTimes BatchTimes::from_json(const nlohmann::json& json) {
    BatchTimes times;
    const auto buckets = json.find("buckets");
    if (!json.is_object() || buckets == json.end() || !buckets->is_array() ||
        buckets->size() != bounds().size() + 1) {
        return times;
    }
    for (const auto& count : *buckets) {
        times.bucket_counts.push_back(count.is_number_integer() ? count.get<std::int64_t>() : 0);
    }
    times.sum_seconds = json.value("sum", 0.0);
    times.count = json.value("count", std::int64_t{0});
    return times;
}

std::optional<BackfillStatus> StateStore::backfill_status(const std::string& migration, int step) {
    const Rows rows = m_session.query(
        "SELECT state, coalesce(reason, ''), batch_size, rows_per_second, progress, eta_seconds, "
        "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), reason_kind, "
        "rows_done, batch_times::text FROM " +
            table("backfill_status") + " WHERE migration = $1 AND step = $2",
        {migration, std::to_string(step)});
    if (rows.empty()) {
        return std::nullopt;
    }
    BackfillStatus status;
    status.state = rows.text(0, 0);
    status.reason = rows.text(0, 1);
    status.batch_size = std::stoll(rows.text(0, 2));
    status.rows_per_second = std::stod(rows.text(0, 3));
    status.progress = std::stod(rows.text(0, 4));
    if (rows.at(0, 5)) {
        status.eta_seconds = std::stod(*rows.at(0, 5));
    }
    status.updated_at = rows.text(0, 6);
    status.reason_kind = rows.text(0, 7);
    status.rows_done = std::stoll(rows.text(0, 8));
    status.batch_times = BatchTimes::from_json(nlohmann::json::parse(rows.text(0, 9)));
    return status;
}

void StateStore::save_backfill_status(const std::string& migration, int step,
                                      const BackfillStatus& status) {
    m_session.query(
        "WITH saved AS (INSERT INTO " + table("backfill_status") +
            " (migration, step, state, reason, batch_size, rows_per_second, progress, "
            "eta_seconds, reason_kind, rows_done, batch_times) VALUES ($1, $2, $3, $4, $5, $6, "
            "$7, $8, $9, $10, $11::jsonb) "
            "ON CONFLICT (migration, step) DO UPDATE SET state = EXCLUDED.state, "
            "reason = EXCLUDED.reason, batch_size = EXCLUDED.batch_size, "
            "rows_per_second = EXCLUDED.rows_per_second, progress = EXCLUDED.progress, "
            "eta_seconds = EXCLUDED.eta_seconds, reason_kind = EXCLUDED.reason_kind, "
            "rows_done = EXCLUDED.rows_done, batch_times = EXCLUDED.batch_times, "
            "updated_at = now() RETURNING 1) INSERT INTO " +
            table("backfill_samples") +
            " (migration, step, rows_done, rows_per_second, batch_seconds, batch_size, state, "
            "reason, reason_kind) SELECT $1, $2, $10, $6, $12, $5, $3, $4, $9 FROM saved",
        {migration, std::to_string(step), status.state, status.reason,
         std::to_string(status.batch_size), std::to_string(status.rows_per_second),
         std::to_string(status.progress),
         status.eta_seconds ? Value{std::to_string(*status.eta_seconds)} : Value{},
         status.reason_kind, std::to_string(status.rows_done), status.batch_times.to_json().dump(),
         std::to_string(status.batch_seconds)});
}

void StateStore::prune_samples(const std::string& migration, int step) {
    m_session.query("DELETE FROM " + table("backfill_samples") +
                        " WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY "
                        "date_trunc('minute', at) ORDER BY id) AS nth FROM " +
                        table("backfill_samples") +
                        " WHERE migration = $1 AND step = $2 AND at < now() - interval '1 hour') "
                        "older WHERE nth > 1)",
                    {migration, std::to_string(step)});
}

std::vector<BackfillSample> StateStore::samples(const std::string& migration, int step, int limit) {
    const Rows rows = m_session.query(
        "SELECT (extract(epoch FROM at) * 1000)::bigint, rows_done, rows_per_second, "
        "batch_seconds, batch_size, state, reason, reason_kind FROM (SELECT * FROM " +
            table("backfill_samples") +
            " WHERE migration = $1 AND step = $2 ORDER BY id DESC LIMIT $3) newest ORDER BY id",
        {migration, std::to_string(step), std::to_string(limit)});
    std::vector<BackfillSample> out;
    out.reserve(rows.rows.size());
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        BackfillSample sample;
        sample.at_ms = std::stoll(rows.text(i, 0));
        sample.rows_done = std::stoll(rows.text(i, 1));
        sample.rows_per_second = std::stod(rows.text(i, 2));
        sample.batch_seconds = std::stod(rows.text(i, 3));
        sample.batch_size = std::stoll(rows.text(i, 4));
        sample.state = rows.text(i, 5);
        sample.reason = rows.text(i, 6);
        sample.reason_kind = rows.text(i, 7);
        out.push_back(std::move(sample));
    }
    return out;
}

void StateStore::event(Transaction& tx, const std::string& migration, const std::string& name,
                       const nlohmann::json& detail) {
    tx.query(
        "INSERT INTO " + table("events") +
            " (migration, actor, event, detail, command) VALUES ($1, $2, $3, $4::jsonb, $5)",
        {migration, m_actor, name, detail.dump(), m_command.empty() ? Value{} : Value{m_command}});
}

void StateStore::event(const std::string& migration, const std::string& name,
                       const nlohmann::json& detail) {
    m_session.transaction([&](Transaction& tx) { event(tx, migration, name, detail); });
}

namespace {

const char* const event_columns =
    "SELECT id, migration, to_char(at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor, coalesce(command, ''), event, "
    "detail::text FROM ";

std::vector<EventRecord> event_records(const Rows& rows) {
    std::vector<EventRecord> out;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        EventRecord record;
        record.id = std::stoll(rows.text(i, 0));
        record.migration = rows.text(i, 1);
        record.at = rows.text(i, 2);
        record.actor = rows.text(i, 3);
        record.command = rows.text(i, 4);
        record.event = rows.text(i, 5);
        record.detail = nlohmann::json::parse(rows.text(i, 6));
        out.push_back(std::move(record));
    }
    return out;
}

} // namespace

std::vector<EventRecord> StateStore::events(const std::string& migration, bool steps) {
    return event_records(m_session.query(
        event_columns + table("events") +
            " WHERE ($1::text IS NULL OR migration = $1) AND ($2::boolean OR event NOT LIKE "
            "'step.%') ORDER BY id",
        {migration.empty() ? Value{} : Value{migration}, steps ? "true" : "false"}));
}

std::vector<EventRecord> StateStore::recent_events(const std::string& migration, int limit) {
    return event_records(m_session.query(
        event_columns + ("(SELECT * FROM " + table("events") +
                         " WHERE migration = $1 ORDER BY id DESC LIMIT $2) newest ORDER BY id"),
        {migration, std::to_string(limit)}));
}

std::int64_t StateStore::count_events(const std::string& migration, const std::string& event) {
    return std::stoll(m_session
                          .query("SELECT count(*) FROM " + table("events") +
                                     " WHERE migration = $1 AND event = $2",
                                 {migration, event})
                          .text(0, 0));
}

} // namespace pgphase::orchestrator
