// Records a Prisma migration in Prisma's `_prisma_migrations` table as `prisma migrate resolve
// --applied <name>` does, so `prisma migrate deploy` skips a migration pgphase ran in phases.
// Never runs the migration's SQL; the pure helpers below touch neither disk nor database.
#pragma once

#include "orchestrator/pg/session.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgphase::orchestrator::prisma {

// A migration directory as Prisma Migrate writes it: prisma/migrations/<name>/migration.sql.
struct PrismaMigration {
    std::string name;        // the directory's name: Prisma's migration_name
    std::string script_path; // <dir>/migration.sql
    std::string script;      // its bytes, exactly as on disk
};

// The migration name Prisma uses for `path`: the directory's own name. A trailing slash and a
// path to the migration.sql file itself are accepted; "" when there is no name to take.
std::string migration_name(const std::filesystem::path& path);

// Lowercase hex of every byte (what PostgreSQL's decode(..., 'hex') reads back exactly).
std::string hex_encode(std::string_view bytes);

// The line-ending variants Prisma also accepts as the same script (git may convert them):
// every "\r\n" made "\n", and every "\n" made "\r\n" (as Rust's str::replace does it).
std::string crlf_to_lf(std::string_view script);
std::string lf_to_crlf(std::string_view script);

// The script bytes whose SHA-256 Prisma accepts for this script: as is first (the one it
// writes), then the two line-ending variants.
std::vector<std::string> checksum_inputs(std::string_view script);

// Prisma engines before 2.16 wrote each byte of the hex without zero-padding
// (prisma/prisma-engines#1887); Prisma still accepts those. `checksum` is 64 hex digits.
std::string unpadded_checksum(std::string_view checksum);

// Whether a stored checksum is one Prisma would accept for a script whose padded SHA-256 hex
// digests (of checksum_inputs) are `digests`.
bool checksum_matches(std::string_view stored, const std::vector<std::string>& digests);

// The SHA-256 of each input as lowercase hex, computed by PostgreSQL in one query.
std::vector<std::string> sha256_hex(Transaction& tx, const std::vector<std::string>& inputs);

// Creates `schema` when it is missing, as Prisma does (CREATE SCHEMA IF NOT EXISTS would still
// need the CREATE privilege on the database when it exists).
void create_schema_if_missing(Transaction& tx, const std::string& schema);

// Reads <dir>/migration.sql. Throws CommandError (bad input) when it is missing or unreadable.
PrismaMigration read_migration(const std::string& dir);

// The schema of the `_prisma_migrations` table for a Prisma DATABASE_URL: its `schema`
// parameter (percent-decoded), else "public", as Prisma does.
std::string history_schema(const std::string& database_url);

enum class HistoryState {
    not_recorded,     // no finished row for the name (table may be missing)
    recorded,         // a finished row with a checksum Prisma accepts for this script
    checksum_differs, // a finished row whose checksum belongs to another script
};

struct HistoryCheck {
    HistoryState state = HistoryState::not_recorded;
    std::string checksum;        // SHA-256 hex of the script as it is (what would be written)
    std::string stored_checksum; // the finished row's, when there is one
    std::string stored_id;
};

// Looks the migration up without changing anything.
HistoryCheck check_history(Transaction& tx, const std::string& schema,
                           const PrismaMigration& migration);

// How the row is written: as `prisma migrate resolve --applied` does (logs '', no steps
// counted), or as `prisma migrate deploy` does after running the script itself (logs NULL, one
// step counted, finished_at after started_at).
enum class RecordAs { resolved, deployed };

struct RecordResult {
    bool inserted = false; // false: it was already recorded with this script
    std::string id;
    std::string checksum;
    int rolled_back = 0; // failed attempts (finished_at NULL) marked rolled back, as Prisma does
};

// In `tx`: creates the table with Prisma's DDL when missing, takes Prisma Migrate's advisory
// lock (so a concurrent `prisma migrate deploy` waits), marks unfinished attempts rolled back
// and inserts the row. Idempotent. Throws CommandError (bad input) when a finished row holds
// another script's checksum.
RecordResult record_applied(Transaction& tx, const std::string& schema,
                            const PrismaMigration& migration, RecordAs as = RecordAs::resolved);

// Every row of the table, oldest attempt first; none when it does not exist.
struct HistoryRowData {
    std::string id;
    std::string name;
    std::string checksum;
    bool finished = false;
    bool rolled_back = false;
};
std::vector<HistoryRowData> read_rows(Transaction& tx, const std::string& schema);

// The table's name, quoted: "public"."_prisma_migrations".
std::string table_name(const std::string& schema);

// The error record_applied throws for a conflicting row, for callers that check first.
[[noreturn]] void throw_checksum_conflict(const std::string& schema,
                                          const PrismaMigration& migration,
                                          const HistoryCheck& check);

} // namespace pgphase::orchestrator::prisma
