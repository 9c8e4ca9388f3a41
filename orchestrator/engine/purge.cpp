// Purging tombstones under the default lock schedule; see purge.hpp.
#include "orchestrator/engine/purge.hpp"

#include "orchestrator/engine/lock_retry.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/model/text.hpp"
#include "planners/sql/quote.hpp"

#include <thread>

namespace pgphase::orchestrator {

namespace {

using planners::QualifiedName;
using planners::quote_ident;

// Indexes built on a kept column after contract (contract dropped those it had): each is dropped
// CONCURRENTLY before the column, so the column's transaction holds its lock only briefly.
std::vector<QualifiedName> indexes_on(Session& session, const TombstoneRecord& tombstone) {
    const Rows rows = session.query(
        "SELECT n.nspname, ic.relname FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attname = $2 "
        "WHERE i.indrelid = pg_catalog.to_regclass($1) "
        "AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid) "
        "AND (a.attnum = ANY (i.indkey::smallint[]) OR EXISTS (SELECT FROM pg_catalog.pg_depend d "
        "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = i.indexrelid "
        "AND d.refobjid = i.indrelid AND d.refobjsubid = a.attnum)) ORDER BY 2",
        {tombstone.current_table().sql(), tombstone.tombstone});
    std::vector<QualifiedName> out;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        out.push_back({rows.text(i, 0), rows.text(i, 1)});
    }
    return out;
}

LockRetry retry_for(const TombstoneRecord& tombstone, const PurgeOptions& options,
                    const std::string& label) {
    return {"purge",
            label,
            tombstone.current_table(),
            planners::default_lock_schedule(),
            options.sleep
                ? options.sleep
                : [](planners::Milliseconds pause) { std::this_thread::sleep_for(pause); },
            "a long transaction or another DDL holds a conflicting lock; rerun pgphase purge "
            "later: the tombstones purged so far stay purged",
            {}};
}

} // namespace

std::vector<TombstoneRecord> purgeable(StateStore& store, const PurgeOptions& options) {
    std::vector<TombstoneRecord> out;
    for (auto& tombstone : store.tombstones(false)) {
        if ((options.all || tombstone.expired) &&
            (options.migration.empty() || tombstone.migration == options.migration)) {
            out.push_back(std::move(tombstone));
        }
    }
    return out;
}

std::vector<std::string> purge_statements(const TombstoneRecord& tombstone,
                                          const std::string& state_schema) {
    if (tombstone.table.empty()) {
        return {};
    }
    const QualifiedName table = tombstone.current_table();
    if (tombstone.kind == "table") {
        return {"DROP TABLE IF EXISTS " + table.sql()};
    }
    std::vector<std::string> out;
    if (!tombstone.marker.empty()) {
        out.push_back("DROP TRIGGER IF EXISTS " + quote_ident(tombstone.marker) + " ON " +
                      table.sql());
        out.push_back("DROP FUNCTION IF EXISTS " +
                      QualifiedName{state_schema, tombstone.marker}.sql() + "()");
    }
    std::string drop =
        "ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " + quote_ident(tombstone.tombstone);
    if (!tombstone.marker.empty()) {
        drop += ", DROP COLUMN IF EXISTS " + quote_ident(tombstone.marker);
    }
    out.push_back(std::move(drop));
    return out;
}

std::vector<std::string> purge_index_statements(Session& session,
                                                const TombstoneRecord& tombstone) {
    std::vector<std::string> out;
    if (tombstone.kind == "column" && !tombstone.table.empty()) {
        for (const QualifiedName& index : indexes_on(session, tombstone)) {
            out.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + index.sql());
        }
    }
    return out;
}

std::string tombstone_text(const TombstoneRecord& tombstone) {
    const std::string where =
        tombstone.table.empty()
            ? QualifiedName{tombstone.original_schema, tombstone.original_table}.display() +
                  " (gone)"
            : tombstone.current_table().display();
    std::string out =
        tombstone.kind == "table"
            ? "table " + where + " (was " +
                  QualifiedName{tombstone.original_schema, tombstone.name}.display()
            : "column " + where + "." + tombstone.tombstone + " (was " + tombstone.name;
    out += ", kept by " + tombstone.migration + " change " + std::to_string(tombstone.change) +
           ", " + (tombstone.expired ? "expired " : "expires ") + tombstone.expires_at;
    if (tombstone.bytes >= 0) {
        out += ", " + std::string(tombstone.kind == "column" ? "about " : "") +
               planners::size_text(tombstone.bytes);
    }
    return out + ")";
}

PurgeResult purge(Session& session, StateStore& store,
                  const std::vector<TombstoneRecord>& tombstones, const PurgeOptions& options,
                  const std::function<void(const TombstoneRecord&)>& announce) {
    PurgeResult result;
    for (const TombstoneRecord& tombstone : tombstones) {
        announce(tombstone);
        const std::string label = "purge " + tombstone_text(tombstone);
        try {
            for (const std::string& drop : purge_index_statements(session, tombstone)) {
                with_lock_retries_outside_transaction(session, retry_for(tombstone, options, label),
                                                      [&] { session.execute(drop); });
            }
            const auto statements = purge_statements(tombstone, store.schema());
            with_lock_retries(session, retry_for(tombstone, options, label), [&](Transaction& tx) {
                for (const auto& statement : statements) {
                    tx.execute(statement);
                }
                store.mark_purged(tx, tombstone.id);
                store.event(tx, tombstone.migration, "tombstone.purged",
                            {{"kind", tombstone.kind},
                             {"table", tombstone.current_table().display()},
                             {"tombstone", tombstone.tombstone},
                             {"name", tombstone.name},
                             {"bytes", tombstone.bytes}});
            });
            log::info("tombstone.purged", {{"tombstone", tombstone_text(tombstone)}});
            result.purged.push_back(tombstone);
        } catch (const CommandError& e) {
            result.lock_gave_up = result.lock_gave_up || e.code() == ExitCode::lock_gave_up;
            result.failures.push_back(tombstone_text(tombstone) + ": " + e.what());
        } catch (const DatabaseError& e) {
            result.failures.push_back(tombstone_text(tombstone) + ": " + e.what() + " (SQLSTATE " +
                                      e.sqlstate() + ")");
        }
    }
    return result;
}

} // namespace pgphase::orchestrator
