// Prisma's migration history, written as the Prisma schema engine writes it (prisma-engines:
// sql-schema-connector flavour/postgres.rs create_migrations_table, sql_migration_persistence.rs
// mark_migration_applied_impl, core commands/mark_migration_applied.rs, core checksum.rs).
// The SHA-256 is PostgreSQL's sha256() over the exact file bytes (sent as hex): no new library.
#include "orchestrator/prisma/prisma_history.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "planners/sql/quote.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

namespace pgphase::orchestrator::prisma {

using planners::quote_ident;

std::string table_name(const std::string& schema) {
    return quote_ident(schema) + "." + quote_ident("_prisma_migrations");
}

namespace {

// Prisma's DDL, column for column (types, NOT NULL, defaults, the primary key); only the
// schema is spelled out, where Prisma relies on the search_path its `?schema=` sets.
std::string create_table_sql(const std::string& table) {
    return "CREATE TABLE " + table +
           " (\n"
           "    id                      VARCHAR(36) PRIMARY KEY NOT NULL,\n"
           "    checksum                VARCHAR(64) NOT NULL,\n"
           "    finished_at             TIMESTAMPTZ,\n"
           "    migration_name          VARCHAR(255) NOT NULL,\n"
           "    logs                    TEXT,\n"
           "    rolled_back_at          TIMESTAMPTZ,\n"
           "    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
           "    applied_steps_count     INTEGER NOT NULL DEFAULT 0\n"
           ")";
}

// The key Prisma Migrate passes to pg_advisory_lock while it migrates.
constexpr const char* prisma_migrate_lock = "72707369";

bool table_exists(Transaction& tx, const std::string& schema) {
    return !tx.query("SELECT 1 FROM pg_catalog.pg_class c "
                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = $1 AND c.relname = '_prisma_migrations' "
                     "AND c.relkind IN ('r', 'p')",
                     {schema})
                .empty();
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

} // namespace

std::string migration_name(const std::filesystem::path& path) {
    std::filesystem::path dir = path.lexically_normal();
    if (!dir.empty() && !dir.has_filename()) {
        dir = dir.parent_path(); // "dir/" normalizes to "dir/" with an empty filename
    }
    if (dir.filename() == "migration.sql") {
        dir = dir.parent_path();
    }
    const std::string name = dir.filename().string();
    return name == "." || name == ".." ? "" : name;
}

std::string hex_encode(std::string_view bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += digits[byte >> 4U];
        out += digits[byte & 0x0FU];
    }
    return out;
}

std::string crlf_to_lf(std::string_view script) {
    std::string out;
    out.reserve(script.size());
    for (std::size_t i = 0; i < script.size(); ++i) {
        if (script[i] == '\r' && i + 1 < script.size() && script[i + 1] == '\n') {
            continue;
        }
        out += script[i];
    }
    return out;
}

std::string lf_to_crlf(std::string_view script) {
    std::string out;
    out.reserve(script.size());
    for (const char c : script) {
        if (c == '\n') {
            out += '\r';
        }
        out += c;
    }
    return out;
}

std::vector<std::string> checksum_inputs(std::string_view script) {
    return {std::string(script), crlf_to_lf(script), lf_to_crlf(script)};
}

std::string unpadded_checksum(std::string_view checksum) {
    std::string out;
    for (std::size_t i = 0; i + 1 < checksum.size(); i += 2) {
        if (checksum[i] != '0') {
            out += checksum[i];
        }
        out += checksum[i + 1];
    }
    return out;
}

bool checksum_matches(std::string_view stored, const std::vector<std::string>& digests) {
    for (const auto& digest : digests) {
        // Prisma compares the padded form when the stored one has 64 characters (or none).
        const std::string expected =
            stored.empty() || stored.size() == digest.size() ? digest : unpadded_checksum(digest);
        if (stored == expected) {
            return true;
        }
    }
    return false;
}

PrismaMigration read_migration(const std::string& dir) {
    PrismaMigration out;
    std::filesystem::path path(dir);
    if (path.filename() == "migration.sql") {
        path = path.parent_path();
    }
    out.name = migration_name(path);
    out.script_path = (path / "migration.sql").string();
    std::error_code ignored;
    if (out.name.empty() || !std::filesystem::is_directory(path, ignored)) {
        throw CommandError(ExitCode::bad_input,
                           "--prisma-migration \"" + dir + "\" is not a Prisma migration directory",
                           "give the directory Prisma Migrate wrote, e.g. "
                           "prisma/migrations/20261125093000_rename_email");
    }
    std::ifstream in(out.script_path, std::ios::binary);
    if (!in) {
        throw CommandError(ExitCode::bad_input,
                           "cannot read Prisma migration script \"" + out.script_path + "\"",
                           "a Prisma migration directory holds its SQL in migration.sql");
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    out.script = bytes.str();
    return out;
}

std::string history_schema(const std::string& database_url) {
    const auto question = database_url.find('?');
    if (question == std::string::npos || (database_url.rfind("postgresql://", 0) != 0 &&
                                          database_url.rfind("postgres://", 0) != 0)) {
        return "public";
    }
    std::string_view query = std::string_view(database_url).substr(question + 1);
    if (const auto hash = query.find('#'); hash != std::string_view::npos) {
        query = query.substr(0, hash);
    }
    std::string schema;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto equals = pair.find('=');
        if (percent_decode(pair.substr(0, equals)) == "schema" &&
            equals != std::string_view::npos) {
            schema = percent_decode(pair.substr(equals + 1)); // the last one wins, as in Prisma
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query = query.substr(amp + 1);
    }
    return schema.empty() ? "public" : schema;
}

std::vector<std::string> sha256_hex(Transaction& tx, const std::vector<std::string>& inputs) {
    std::string select;
    Params params;
    for (const std::string& input : inputs) {
        params.push_back(hex_encode(input));
        select += std::string(select.empty() ? "SELECT " : ", ") +
                  "pg_catalog.encode(pg_catalog.sha256(pg_catalog.decode($" +
                  std::to_string(params.size()) + ", 'hex')), 'hex')";
    }
    std::vector<std::string> out;
    if (inputs.empty()) {
        return out;
    }
    const Rows digests = tx.query(select, params);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        out.push_back(digests.text(0, i));
    }
    return out;
}

void create_schema_if_missing(Transaction& tx, const std::string& schema) {
    if (tx.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema}).empty()) {
        tx.execute("CREATE SCHEMA " + quote_ident(schema));
    }
}

HistoryCheck check_history(Transaction& tx, const std::string& schema,
                           const PrismaMigration& migration) {
    const std::vector<std::string> accepted = sha256_hex(tx, checksum_inputs(migration.script));
    HistoryCheck out;
    out.checksum = accepted[0];
    if (!table_exists(tx, schema)) {
        return out;
    }
    const Rows rows = tx.query("SELECT id, checksum FROM " + table_name(schema) +
                                   " WHERE migration_name = $1 AND finished_at IS NOT NULL "
                                   "ORDER BY started_at",
                               {migration.name});
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        if (checksum_matches(rows.text(i, 1), accepted)) {
            out.state = HistoryState::recorded;
            out.stored_checksum = rows.text(i, 1);
            out.stored_id = rows.text(i, 0);
            return out;
        }
    }
    if (!rows.empty()) {
        out.state = HistoryState::checksum_differs;
        out.stored_checksum = rows.text(0, 1);
        out.stored_id = rows.text(0, 0);
    }
    return out;
}

void throw_checksum_conflict(const std::string& schema, const PrismaMigration& migration,
                             const HistoryCheck& check) {
    throw CommandError(
        ExitCode::bad_input,
        "Prisma migration \"" + migration.name + "\" is already recorded as applied in " +
            table_name(schema) + " with checksum " + check.stored_checksum + " (id " +
            check.stored_id + "), but " + migration.script_path + " has checksum " + check.checksum,
        "migration.sql changed after it was applied (prisma migrate status reports it as "
        "modified); restore the file as it was applied, or, if the database already holds "
        "this script's schema, delete that row and rerun");
}

RecordResult record_applied(Transaction& tx, const std::string& schema,
                            const PrismaMigration& migration, RecordAs as) {
    // Prisma Migrate holds this lock while it reads and writes the table; waiting for it keeps
    // a concurrent `prisma migrate deploy` from applying the script between check and insert.
    tx.query("SELECT pg_catalog.pg_advisory_xact_lock(" + std::string(prisma_migrate_lock) + ")");
    const HistoryCheck check = check_history(tx, schema, migration);
    RecordResult out;
    out.checksum = check.checksum;
    if (check.state == HistoryState::checksum_differs) {
        throw_checksum_conflict(schema, migration, check);
    }
    if (check.state == HistoryState::recorded) {
        out.id = check.stored_id;
        return out;
    }
    const std::string table = table_name(schema);
    if (!table_exists(tx, schema)) {
        create_schema_if_missing(tx, schema);
        tx.execute(create_table_sql(table));
    }
    // resolve --applied first marks earlier failed attempts of the name rolled back.
    const Rows rolled = tx.query("UPDATE " + table +
                                     " SET rolled_back_at = now() WHERE migration_name = $1 "
                                     "AND finished_at IS NULL AND rolled_back_at IS NULL",
                                 {migration.name});
    out.rolled_back = static_cast<int>(rolled.affected);
    // As mark_migration_applied_impl: a v4 uuid, logs '' (not NULL), started_at = finished_at,
    // applied_steps_count left at its default 0. As apply_migration (deploy): logs NULL, the
    // one step of a script counted, finished_at when it finished.
    const std::string values = as == RecordAs::resolved
                                   ? "'', now(), now(), 0"
                                   : "NULL, now(), pg_catalog.clock_timestamp(), 1";
    const Rows inserted =
        tx.query("INSERT INTO " + table +
                     " (id, checksum, logs, started_at, finished_at, applied_steps_count, "
                     "migration_name) VALUES (pg_catalog.gen_random_uuid()::text, $1, " +
                     values + ", $2) RETURNING id",
                 {check.checksum, migration.name});
    out.inserted = true;
    out.id = inserted.text(0, 0);
    return out;
}

std::vector<HistoryRowData> read_rows(Transaction& tx, const std::string& schema) {
    std::vector<HistoryRowData> out;
    if (!table_exists(tx, schema)) {
        return out;
    }
    const Rows rows = tx.query("SELECT id, migration_name, checksum, finished_at IS NOT NULL, "
                               "rolled_back_at IS NOT NULL FROM " +
                               table_name(schema) + " ORDER BY started_at, id");
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        out.push_back({rows.text(i, 0), rows.text(i, 1), rows.text(i, 2), rows.text(i, 3) == "t",
                       rows.text(i, 4) == "t"});
    }
    return out;
}

} // namespace pgphase::orchestrator::prisma
