// Doctor's checks (catalog and state-store reads, one query each) and its repairs, which run
// under the default lock schedule like any pgphase step: short lock_timeouts, retried with
// jittered pauses, exit 4 when the lock never comes.
#include "orchestrator/doctor/doctor.hpp"

#include "orchestrator/engine/lock_holders.hpp"
#include "orchestrator/engine/lock_retry.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/purge.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "orchestrator/prisma/prisma_history.hpp"
#include "planners/deploy/folder.hpp"
#include "planners/doctor/drift.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/model/text.hpp"
#include "planners/plan/version_schema.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <iterator>
#include <thread>

namespace pgphase::orchestrator::doctor {

using planners::QualifiedName;
using planners::doctor::Finding;
using planners::doctor::RepairKind;

namespace {

// Schemas that are PostgreSQL's own.
const char* user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

std::string utc(const std::string& column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'";
}

struct StateFacts {
    bool exists = false;
    std::vector<std::string> in_flight_steps; // steps JSON of every migration not ended
    // Every migration: its name, base schema and phase.
    struct Migration {
        std::string name;
        std::string schema;
        std::string phase;
    };
    std::vector<Migration> migrations;
    // Marker triggers and functions of the tombstones not yet purged: kept on purpose.
    std::vector<std::string> tombstone_markers;
    std::vector<TombstoneRecord> expired_tombstones;
};

StateFacts read_state(Session& session, const std::string& state_schema) {
    StateFacts facts;
    const QualifiedName migrations{state_schema, "migrations"};
    facts.exists =
        session.query("SELECT to_regclass($1) IS NOT NULL", {migrations.sql()}).text(0, 0) == "t";
    if (!facts.exists) {
        return facts;
    }
    const Rows rows =
        session.query("SELECT name, schema, phase, steps::text FROM " + migrations.sql());
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        facts.migrations.push_back({rows.text(i, 0), rows.text(i, 1), rows.text(i, 2)});
        const std::string phase = rows.text(i, 2);
        if (phase != "completed" && phase != "rolled_back") {
            facts.in_flight_steps.push_back(rows.text(i, 3));
        }
    }
    StateStore store(session, state_schema, "");
    for (auto& tombstone : store.tombstones(false)) {
        if (!tombstone.marker.empty()) {
            facts.tombstone_markers.push_back(tombstone.marker);
        }
        if (tombstone.expired) {
            facts.expired_tombstones.push_back(std::move(tombstone));
        }
    }
    return facts;
}

bool kept(const StateFacts& state, const std::string& name) {
    return std::find(state.tombstone_markers.begin(), state.tombstone_markers.end(), name) !=
           state.tombstone_markers.end();
}

void expired_tombstones(const std::string& state_schema, const StateFacts& state,
                        std::vector<Finding>& out) {
    for (const TombstoneRecord& tombstone : state.expired_tombstones) {
        const std::string object = tombstone.kind == "table"
                                       ? "table " + tombstone.current_table().sql()
                                       : "column " + tombstone.current_table().sql() + "." +
                                             planners::quote_ident(tombstone.tombstone);
        out.push_back(planners::doctor::expired_tombstone(
            {tombstone.id, object, tombstone.name, tombstone.migration, tombstone.expires_at,
             tombstone.bytes >= 0 ? planners::size_text(tombstone.bytes) : "",
             tombstone.current_table(), purge_statements(tombstone, state_schema)}));
    }
}

void invalid_indexes(Session& session, std::vector<Finding>& out) {
    // An index being built right now (by anyone) is INVALID until it is done: not a finding.
    const Rows rows = session.query(
        "SELECT n.nspname, c.relname, pg_catalog.format('%I.%I', tn.nspname, t.relname), "
        "pg_catalog.pg_relation_size(c.oid) "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_catalog.pg_class t ON t.oid = i.indrelid "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE NOT i.indisvalid AND " +
        std::string(user_schemas) +
        " AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_progress_create_index p "
        "WHERE p.index_relid = c.oid OR (p.relid = t.oid AND p.index_relid = 0))");
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        out.push_back(planners::doctor::invalid_index(
            {rows.text(i, 0), rows.text(i, 1)}, rows.text(i, 2), std::stoll(rows.text(i, 3))));
    }
}

void unvalidated_constraints(Session& session, const StateFacts& state, std::vector<Finding>& out) {
    const Rows rows = session.query(
        "SELECT n.nspname, t.relname, c.conname, CASE c.contype WHEN 'c' THEN 'CHECK' "
        "WHEN 'f' THEN 'FOREIGN KEY' ELSE c.contype::text END "
        "FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class t ON t.oid = c.conrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
        "WHERE NOT c.convalidated AND " +
        std::string(user_schemas));
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        // A migration in flight validates its own NOT VALID constraints in a later step.
        if (planners::doctor::in_use(state.in_flight_steps, rows.text(i, 2))) {
            continue;
        }
        out.push_back(planners::doctor::unvalidated_constraint({rows.text(i, 0), rows.text(i, 1)},
                                                               rows.text(i, 2), rows.text(i, 3)));
    }
}

// Sync triggers and their functions live in the state schema; shadow columns are named
// _pgphase_new_*; version schemas carry pgphase's comment.
void orphans(Session& session, const std::string& state_schema, const StateFacts& state,
             std::vector<Finding>& out) {
    const Rows triggers =
        session.query("SELECT n.nspname, t.relname, tg.tgname FROM pg_catalog.pg_trigger tg "
                      "JOIN pg_catalog.pg_class t ON t.oid = tg.tgrelid "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
                      "JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid "
                      "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace "
                      "WHERE NOT tg.tgisinternal AND pn.nspname = $1",
                      {state_schema});
    for (std::size_t i = 0; i < triggers.rows.size(); ++i) {
        if (!planners::doctor::in_use(state.in_flight_steps, triggers.text(i, 2)) &&
            !kept(state, triggers.text(i, 2))) {
            out.push_back(planners::doctor::orphaned_trigger(
                {triggers.text(i, 0), triggers.text(i, 1)}, triggers.text(i, 2)));
        }
    }
    const Rows functions = session.query(
        "SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) "
        "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = $1 AND pg_catalog.obj_description(p.oid, 'pg_proc') IS DISTINCT FROM "
        "'pgphase state store'",
        {state_schema});
    for (std::size_t i = 0; i < functions.rows.size(); ++i) {
        if (!planners::doctor::in_use(state.in_flight_steps, functions.text(i, 0)) &&
            !kept(state, functions.text(i, 0))) {
            out.push_back(planners::doctor::orphaned_function({state_schema, functions.text(i, 0)},
                                                              functions.text(i, 1)));
        }
    }
    const Rows columns =
        session.query("SELECT n.nspname, c.relname, a.attname FROM pg_catalog.pg_attribute a "
                      "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') "
                      "AND a.attname LIKE '\\_pgphase\\_new\\_%' AND " +
                      std::string(user_schemas));
    for (std::size_t i = 0; i < columns.rows.size(); ++i) {
        if (!planners::doctor::in_use(state.in_flight_steps, columns.text(i, 2))) {
            out.push_back(planners::doctor::orphaned_shadow_column(
                {columns.text(i, 0), columns.text(i, 1)}, columns.text(i, 2)));
        }
    }
    const Rows schemas =
        session.query("SELECT n.nspname FROM pg_catalog.pg_namespace n "
                      "WHERE pg_catalog.obj_description(n.oid, 'pg_namespace') LIKE "
                      "'pgphase version schema of %'");
    for (std::size_t i = 0; i < schemas.rows.size(); ++i) {
        const std::string schema = schemas.text(i, 0);
        const auto owner = std::find_if(
            state.migrations.begin(), state.migrations.end(), [&](const auto& migration) {
                return planners::version_schema_name(migration.schema, migration.name) == schema;
            });
        if (owner == state.migrations.end()) {
            out.push_back(planners::doctor::orphaned_version_schema(schema, ""));
        } else if (owner->phase == "rolled_back") {
            out.push_back(planners::doctor::orphaned_version_schema(schema, owner->name));
        }
    }
}

void interrupted_and_stalled(Session& session, const DoctorOptions& options,
                             std::vector<Finding>& out) {
    const auto table = [&](const char* name) {
        return QualifiedName{options.state_schema, name}.sql();
    };
    // Whether a pgphase runs the migration: each phase command holds its migration's advisory
    // lock (MigrationRunner::lock_migration) for as long as it runs. $1 is the key without the
    // migration's name.
    const std::string held = "EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE " +
                             advisory_lock_granted("$1 || m.name") + ")";
    // When it last moved: its newest event or backfill report; when it was paused.
    const std::string moved = "greatest((SELECT max(e.at) FROM " + table("events") +
                              " e WHERE e.migration = m.name), (SELECT max(b.updated_at) FROM " +
                              table("backfill_status") +
                              " b WHERE b.migration = m.name), m.updated_at)";
    const Rows rows = session.query(
        "SELECT m.name, m.phase, " + held + ", coalesce(c.paused, false), " +
            "coalesce(c.paused_by, ''), " + utc(moved) + ", " + utc("c.updated_at") + ", " + moved +
            " < now() - $2::interval, coalesce(c.updated_at < now() - $2::interval, "
            "false) FROM " +
            table("migrations") + " m LEFT JOIN " + table("controls") +
            " c ON c.migration = m.name WHERE m.phase IN ('expanding', 'backfilling', "
            "'contracting', 'rolling_back') ORDER BY m.name",
        {migration_lock_key(options.state_schema, ""),
         std::to_string(options.stalled_after.count()) + " ms"});
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        const std::string name = rows.text(i, 0);
        const std::string phase = rows.text(i, 1);
        const bool running = rows.text(i, 2) == "t";
        const bool paused = rows.text(i, 3) == "t";
        if (phase != "backfilling") {
            if (!running) {
                out.push_back(
                    planners::doctor::interrupted_migration(name, phase, rows.text(i, 5)));
            }
            continue;
        }
        using planners::doctor::Stall;
        if (paused && rows.text(i, 8) == "t") {
            out.push_back(planners::doctor::stalled_backfill(name, Stall::paused, rows.text(i, 4),
                                                             rows.text(i, 6)));
        } else if (!paused && rows.text(i, 7) == "t") {
            out.push_back(planners::doctor::stalled_backfill(
                name, running ? Stall::stuck : Stall::stopped, "", rows.text(i, 5)));
        }
    }
}

void sequences(Session& session, double threshold, std::vector<Finding>& out) {
    // The owning column's type caps a sequence too: a bigint sequence feeding an integer
    // column fails at the column's maximum.
    const Rows rows = session.query(
        "SELECT s.schemaname, s.sequencename, "
        "CASE WHEN a.atttypid IN ('int2'::regtype, 'int4'::regtype) "
        "     AND pg_catalog.format_type(a.atttypid, NULL) <> s.data_type::text "
        "THEN pg_catalog.format_type(a.atttypid, NULL) ELSE s.data_type::text END, "
        "coalesce(pg_catalog.format('%I.%I.%I', tn.nspname, t.relname, a.attname), ''), "
        "s.last_value, least(s.max_value, CASE a.atttypid WHEN 'int2'::regtype THEN 32767 "
        "WHEN 'int4'::regtype THEN 2147483647 ELSE s.max_value END) "
        "FROM pg_catalog.pg_sequences s "
        "JOIN pg_catalog.pg_namespace sn ON sn.nspname = s.schemaname "
        "JOIN pg_catalog.pg_class sc ON sc.relnamespace = sn.oid AND sc.relname = s.sequencename "
        "LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass "
        "     AND d.objid = sc.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass "
        "     AND d.deptype IN ('a', 'i') "
        "LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
        "LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid "
        "     AND a.attnum = d.refobjsubid "
        "WHERE s.last_value IS NOT NULL AND s.increment_by > 0");
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        planners::doctor::SequenceFill fill{{rows.text(i, 0), rows.text(i, 1)},
                                            rows.text(i, 2),
                                            rows.text(i, 3),
                                            std::stoll(rows.text(i, 4)),
                                            std::stoll(rows.text(i, 5))};
        if (auto finding = planners::doctor::sequence_near_max(fill, threshold)) {
            out.push_back(std::move(*finding));
        }
    }
}

// The folder's migrations replayed in order, against the live catalog of the schemas they name.
void schema_drift(Session& session, const DoctorOptions& options, std::vector<Finding>& out) {
    const auto folder = planners::deploy::read_folder(options.migrations_dir);
    if (!folder.errors.empty()) {
        throw CommandError(ExitCode::bad_input,
                           "cannot read --migrations " + options.migrations_dir + ": " +
                               folder.errors.front(),
                           "name a Prisma migrations folder or a folder of *.sql files");
    }
    planners::doctor::ReplayedSchema expected;
    if (folder.kind == planners::deploy::FolderKind::prisma) {
        expected.set_default_schema(prisma::history_schema(options.database_url));
    }
    for (const auto& migration : folder.migrations) {
        const std::string error = expected.apply_script(migration.script);
        if (!error.empty()) {
            throw CommandError(ExitCode::bad_input,
                               migration.path + ": cannot be replayed: " + error,
                               "pgphase lint " + migration.path + " gives its position");
        }
    }
    planners::Catalog live;
    for (const std::string& schema : expected.schemas()) {
        planners::Catalog one = read_catalog(session, schema);
        std::move(one.tables.begin(), one.tables.end(), std::back_inserter(live.tables));
    }
    const auto found =
        planners::doctor::drift(expected, live, options.migrations_dir, options.state_schema);
    out.insert(out.end(), found.begin(), found.end());
}

// DROP INDEX CONCURRENTLY cannot run in a transaction: each attempt sets its own lock_timeout.
void run_outside_transaction(Session& session, const Finding& finding,
                             const DoctorOptions& options) {
    const LockRetry retry{"doctor",
                          finding.object,
                          finding.repair.table,
                          planners::default_lock_schedule(),
                          options.sleep,
                          {},
                          {}};
    with_lock_retries_outside_transaction(session, retry, [&] {
        for (const auto& statement : finding.repair.sql) {
            session.execute(statement);
        }
    });
}

// Through purge itself, which also drops indexes built on the column since and records it.
void purge_one(Session& session, const Finding& finding, const DoctorOptions& options) {
    StateStore store(session, options.state_schema, options.actor);
    store.set_command("doctor --fix");
    std::vector<TombstoneRecord> selected;
    for (auto& tombstone : store.tombstones(false)) {
        if (tombstone.id == finding.repair.tombstone) {
            selected.push_back(std::move(tombstone));
        }
    }
    PurgeOptions purge_options;
    purge_options.sleep = options.sleep;
    const PurgeResult result = purge(session, store, selected, purge_options, [](const auto&) {});
    if (!result.failures.empty()) {
        throw CommandError(result.lock_gave_up ? ExitCode::lock_gave_up : ExitCode::failed,
                           result.failures.front());
    }
}

void finish_rollback(const Dsn& dsn, const Finding& finding, const DoctorOptions& options,
                     Session& session) {
    const QualifiedName migrations{options.state_schema, "migrations"};
    const Rows stored =
        session.query("SELECT plan_text FROM " + migrations.sql() + " WHERE name = $1",
                      {finding.repair.migration});
    if (stored.empty()) {
        throw CommandError(ExitCode::failed,
                           "migration \"" + finding.repair.migration + "\" is no longer stored");
    }
    const std::string origin = "<stored plan of " + finding.repair.migration + ">";
    planners::LoadResult loaded = planners::load_plan_text(stored.text(0, 0), origin);
    if (!loaded.plan) {
        throw CommandError(ExitCode::failed,
                           "its stored plan no longer loads:\n" + loaded.diagnostics.to_string());
    }
    RunOptions run;
    run.state_schema = options.state_schema;
    run.actor = options.actor;
    run.command = "doctor";
    run.sleep = options.sleep;
    MigrationRunner(*loaded.plan, dsn, run).rollback();
}

// The order repairs run in: orphaned version schemas first (their views pin columns of every
// table of their schema), then rollbacks (they remove their own objects, which are not
// orphans), then the rest, and functions last (triggers depend on them).
int repair_rank(const Finding& finding) {
    if (finding.check == "orphaned-version-schema") {
        return 0;
    }
    if (finding.repair.kind == RepairKind::finish_rollback) {
        return 1;
    }
    return finding.check == "orphaned-function" ? 3 : 2;
}

} // namespace

std::vector<Finding> examine(Session& session, const DoctorOptions& options) {
    std::vector<Finding> findings;
    const StateFacts state = read_state(session, options.state_schema);
    invalid_indexes(session, findings);
    unvalidated_constraints(session, state, findings);
    if (state.exists) {
        interrupted_and_stalled(session, options, findings);
        orphans(session, options.state_schema, state, findings);
        expired_tombstones(options.state_schema, state, findings);
    }
    sequences(session, options.sequence_threshold, findings);
    if (!options.migrations_dir.empty()) {
        schema_drift(session, options, findings);
    }
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        return a.check != b.check ? a.check < b.check : a.object < b.object;
    });
    return findings;
}

RepairResult repair(Session& session, const Dsn& dsn, const std::vector<Finding>& findings,
                    const DoctorOptions& options,
                    const std::function<void(const std::string&)>& announce) {
    RepairResult result;
    DoctorOptions paced = options;
    if (!paced.sleep) {
        paced.sleep = [](planners::Milliseconds pause) { std::this_thread::sleep_for(pause); };
    }
    std::vector<const Finding*> order;
    for (const Finding& finding : findings) {
        if (finding.fixable()) {
            order.push_back(&finding);
        }
    }
    std::stable_sort(order.begin(), order.end(), [](const Finding* a, const Finding* b) {
        return repair_rank(*a) < repair_rank(*b);
    });
    for (const Finding* finding : order) {
        announce(planners::doctor::repair_text(finding->repair));
        try {
            switch (finding->repair.kind) {
            case RepairKind::none:
                continue;
            case RepairKind::finish_rollback:
                finish_rollback(dsn, *finding, paced, session);
                break;
            case RepairKind::outside_transaction:
                run_outside_transaction(session, *finding, paced);
                break;
            case RepairKind::purge_tombstone:
                purge_one(session, *finding, paced);
                break;
            case RepairKind::statements: {
                LockRetry retry{"doctor",
                                finding->object,
                                finding->repair.table,
                                planners::default_lock_schedule(),
                                paced.sleep,
                                {},
                                {}};
                with_lock_retries(session, retry, [&](Transaction& tx) {
                    for (const auto& statement : finding->repair.sql) {
                        tx.execute(statement);
                    }
                });
                break;
            }
            }
            result.repaired.push_back(finding);
        } catch (const CommandError& e) {
            result.lock_gave_up = result.lock_gave_up || e.code() == ExitCode::lock_gave_up;
            result.failures.push_back(finding->object + ": " + e.what());
        } catch (const std::exception& e) {
            result.failures.push_back(finding->object + ": " + e.what());
        }
    }
    return result;
}

} // namespace pgphase::orchestrator::doctor
