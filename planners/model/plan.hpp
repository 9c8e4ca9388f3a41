// The plan model: what a user asked for, as loaded from YAML. Immutable once loaded;
// everything that changes while a migration runs lives in the orchestrator's state store.
#pragma once

#include "planners/model/diagnostic.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pgphase::planners {

using Milliseconds = std::chrono::milliseconds;

// An SQL expression from a plan, already parsed as exactly one expression. `sql` is the
// parser's canonical rendering (comments stripped), safe to embed in parentheses.
struct Expression {
    std::string source;                   // as written in the plan
    std::string sql;                      // canonical, deparsed
    std::vector<std::string> column_refs; // unqualified column names it reads
    bool is_constant = false; // a literal, possibly cast: safe as a fast ADD COLUMN default
    SourceMark mark;
};

// A type name from a plan, parsed (`varchar(20)`, `"Mixed"`, `timestamptz`).
struct TypeName {
    std::string source;
    std::string sql; // canonical
    SourceMark mark;
};

// By default a catalog-only rename: the version schema's view shows the column under its new
// name from expand on, and contract renames it in place. `copy` (method: copy, or where the
// planner must) builds a shadow column instead; planners/ops/rename_column.cpp says when.
struct RenameColumn {
    std::string table;
    std::string from;
    std::string to;
    bool copy = false;          // method: copy
    bool rename_indexes = true; // rename index and constraint names that embed the column's
};

// A foreign key's target. `columns` empty: the referenced table's primary key.
struct ForeignKeyReference {
    std::string table;
    std::vector<std::string> columns;
    std::string on_delete = "NO ACTION"; // SQL: NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT
};

struct ColumnDefinition {
    std::string name;
    TypeName type;
    bool nullable = true;
    std::optional<Expression> default_value;
    // Column constraints (add_column, create_table); each named after PostgreSQL's own
    // convention: <table>_<column>_key, _check, _fkey.
    bool unique = false;
    std::optional<Expression> check;
    std::optional<ForeignKeyReference> references;
    // create_table only.
    bool primary_key = false;
    std::string identity; // "", "ALWAYS" or "BY DEFAULT": GENERATED ... AS IDENTITY
};

struct AddColumn {
    std::string table;
    ColumnDefinition column;
    std::optional<Expression> up; // fills existing rows (and old-version writes) when given
};

struct CreateIndex {
    std::string table;
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
    std::string method = "btree";
    std::optional<Expression> where;
};

// Constraint operations. Names a plan leaves out are filled in by the loader (PostgreSQL's
// own naming: <table>_<columns>_fkey, _key, _pkey), so the checksum covers the name used.
struct AddCheck {
    std::string table;
    std::string name;
    Expression check;
    // Fixes rows that violate the check (existing ones in backfill, new writes during expand):
    // column -> value computed from the row. Empty: violating rows make VALIDATE fail.
    std::vector<std::pair<std::string, Expression>> up;
};

struct AddForeignKey {
    std::string table;
    std::string name;
    std::vector<std::string> columns;
    std::string references_table;
    std::vector<std::string> references_columns; // empty: the referenced table's primary key
    std::string on_delete = "NO ACTION";         // SQL words, from a fixed list
    std::string on_update = "NO ACTION";
    bool index = false; // build an index on `columns` concurrently first
};

struct AddUnique {
    std::string table;
    std::string name; // of the constraint and of its index
    std::vector<std::string> columns;
};

struct AddPrimaryKey {
    std::string table;
    std::string name; // of the constraint and of its index
    std::vector<std::string> columns;
};

struct DropConstraint {
    std::string table;
    std::string name;
};

struct RenameConstraint {
    std::string table;
    std::string from;
    std::string to;
};

// What contract's keep_column()/keep_table() dropped so that writes could go on without the
// kept column or table, as the state store recorded it: rebuilt by the restore operations.
struct RelaxedObject {
    std::string kind; // constraint, index, default or not_null
    std::string name;
    std::string definition; // pg_get_constraintdef, pg_get_indexdef or pg_get_expr text
};

// A tombstone a change of an undo plan brings back (docs/undo.md).
struct Tombstone {
    std::string name;   // the kept column, or the kept table in `schema`
    std::string schema; // a kept table's schema (the tombstone schema); "" for a column
    std::string marker; // a kept column's marker of rows written since contract; "" if none
    std::vector<RelaxedObject> relaxed;
};

// Changes a column's type through a shadow column (or in place when binary compatible).
// `up` computes the new value from the old row, `down` the old value from the new one; both
// read the column under its own name. Omitted: a plain cast each way.
struct ChangeType {
    std::string table;
    std::string column;
    TypeName type;
    std::optional<Expression> up;
    std::optional<Expression> down;
    // Written by `pgphase undo` only: the shadow is a tombstone of the column's old self, so
    // rows untouched since that contract keep their exact old value (docs/undo.md).
    std::optional<Tombstone> restore{};
};

struct UniqueKey {
    std::string name; // empty: <table>_<columns>_key
    std::vector<std::string> columns;
};

struct TableCheck {
    std::string name; // empty: <table>_<n>_check
    Expression expression;
};

struct TableForeignKey {
    std::string name; // empty: <table>_<columns>_fkey
    std::vector<std::string> columns;
    ForeignKeyReference references;
};

struct CreateTable {
    std::string table;
    std::vector<ColumnDefinition> columns;
    std::vector<std::string> primary_key; // from `primary_key:` or the column marked primary_key
    std::vector<UniqueKey> unique;
    std::vector<TableCheck> checks;
    std::vector<TableForeignKey> foreign_keys;
};

struct DropTable {
    std::string table;
};

struct RenameTable {
    std::string from;
    std::string to;
};

struct DropColumn {
    std::string table;
    std::string column;
    std::optional<Expression> down; // fills the column for new-version writes until contract
};

// Written by `pgphase undo`: a column contract kept as a tombstone gets its name back, with
// what keep_column() relaxed rebuilt online; `down` fills the rows written since that contract
// (and the writes of the app that does not know the column) from the other columns.
struct RestoreColumn {
    std::string table;
    std::string column;
    Tombstone tombstone;
    std::optional<Expression> down;
};

// Written by `pgphase undo`: a table contract kept is moved back, its foreign keys rebuilt.
struct RestoreTable {
    std::string table;
    Tombstone tombstone;
};

// --- nullability, defaults, drop_index, backfill, sql (issue 3) ---

struct SetNotNull {
    std::string table;
    std::string column;
    std::optional<Expression> up; // fixes existing NULLs (and old-version writes leaving it NULL)
};

struct DropNotNull {
    std::string table;
    std::string column;
};

struct SetDefault {
    std::string table;
    std::string column;
    Expression default_value;
};

struct DropDefault {
    std::string table;
    std::string column;
};

struct DropIndex {
    std::string name;
};

// COMMENT ON a table (no column) or one of its columns; no comment (YAML null) removes it.
struct SetComment {
    std::string table;
    std::optional<std::string> column;
    std::optional<std::string> comment;
};

// ALTER TABLE ... REPLICA IDENTITY: what UPDATE and DELETE log of the old row for logical
// replication. `index` is set for (and only for) Identity::index.
struct SetReplicaIdentity {
    enum class Identity { default_, full, nothing, index };
    std::string table;
    Identity identity = Identity::default_;
    std::string index;
};

// A pure data migration: `UPDATE table SET column = expression ... [WHERE where]`, batched.
struct BackfillData {
    std::string table;
    std::vector<std::pair<std::string, Expression>> set; // in plan order
    std::optional<Expression> where;
};

// Raw SQL from a plan, with where its text starts in the plan file, so that a position inside
// it (a parse error, a lint finding) is reported at the plan's file:line:column.
struct SqlText {
    std::string text;
    SourceMark mark;    // of the text's first character
    bool block = false; // a YAML literal block: line n of the text is at mark.line + n - 1,
                        // starting at mark.column; otherwise only line 1 maps (mark.column + c - 1)
    bool mapped = true; // false (a folded block): every position inside is reported at `mark`
    std::vector<std::string> statements; // split by the parser, in order
    std::string table;                   // the first table the statements name; "" if none
};

struct RawSql {
    SqlText up;
    std::optional<SqlText> down;  // without it, rollback past this change fails
    std::string phase = "expand"; // expand, backfill or contract
    bool transactional = true;
    std::string table; // the first table `up` names, for display; "" if none
};

// Where a 1-based line:column inside `sql.text` is in the plan file.
SourceMark locate(const SqlText& sql, int line, int column);

using Operation =
    std::variant<RenameColumn, AddColumn, CreateIndex, AddCheck, AddForeignKey, AddUnique,
                 AddPrimaryKey, DropConstraint, RenameConstraint, ChangeType, CreateTable,
                 DropTable, RenameTable, DropColumn, SetNotNull, DropNotNull, SetDefault,
                 DropDefault, DropIndex, BackfillData, RawSql, SetComment, SetReplicaIdentity,
                 RestoreColumn, RestoreTable>;

struct Change {
    Operation operation;
    SourceMark mark;
};

// The operation's name as written in a plan ("rename_column"), from its unit
// (planners/ops/registry.cpp).
std::string operation_name(const Operation& operation);

struct BackfillSettings {
    std::int64_t batch_size = 1000;       // the first batch; later ones adapt
    std::int64_t max_batch_size = 20000;  // rows per batch, whatever the timing says
    Milliseconds target_batch_time{25};   // measured: docs/performance.md
    std::int64_t max_rows_per_second = 0; // 0 = no cap
    int workers = 1;
    // Throttle signals: any one over its limit pauses the backfill until it is back under.
    Milliseconds max_replication_lag{10'000};
    std::int64_t max_replication_lag_bytes = 256LL * 1024 * 1024; // 0 = not checked
    Milliseconds max_transaction_age{3'600'000};                  // 0 = not checked
    bool pause_during_autovacuum = false;
    std::int64_t max_wal_bytes_per_second = 0; // 0 = not checked
    std::string health_query;                  // a SELECT returning one boolean; "" = none
};

// How long each attempt of a DDL transaction waits for its lock, attempt after attempt
// (docs/plan-format.md#lock-waits). While a DDL statement waits, every app query on the table
// queues behind it, so the default waits little: 20 attempts of 50 ms, then 20 of 80 ms.
std::vector<Milliseconds> default_lock_schedule();
// The pause after failed attempt `attempt` (1-based), before jitter: 100 ms, doubling, at most
// 5 s. The 40 default attempts span about 3 minutes.
Milliseconds lock_retry_pause(int attempt);
// "50ms x20, 80ms x20": a schedule as the docs and the logs write it.
std::string lock_schedule_text(const std::vector<Milliseconds>& schedule);

struct Settings {
    // The one lock_timeout of the statements that are not retried attempt by attempt (backfill
    // batches, non-transactional steps, Prisma's advisory lock); set in the plan, it is also
    // every DDL attempt's, lock_retries + 1 times.
    Milliseconds lock_timeout{2'000};
    int lock_retries = 20;
    // Each DDL attempt's lock_timeout, in order; its size is the number of attempts. The loader
    // derives it from lock_timeouts, lock_timeout and lock_retries.
    std::vector<Milliseconds> lock_schedule = default_lock_schedule();
    // An autovacuum that holds a step's table attempt after attempt is cancelled where
    // the role may, else outwaited once past deadlock_timeout (docs/plan-format.md#lock-waits).
    bool cancel_autovacuum = true;
    Milliseconds contract_after{0};
    // The version schema (the new app version's views) outlives contract unless this is false:
    // an app that reads through it keeps working until the next migration's contract drops it.
    bool keep_version_schema = true;
    // How long contract keeps what it drops (columns, tables) as tombstones that `undo` can
    // bring back and `purge` removes once expired; 0 drops them at contract (docs/undo.md).
    Milliseconds keep_dropped{7LL * 24 * 3'600'000};
    BackfillSettings backfill;
};

struct Plan {
    std::string name;
    std::string schema = "public";
    Settings settings;
    std::vector<Change> changes;
    // A Prisma migration directory complete records as applied in `_prisma_migrations`;
    // resolved against the plan file's directory when relative. "" = none.
    std::string prisma_migration;
    std::string source_file;
    std::string source_text;
};

// A stable fingerprint of what the plan changes (name, schema, changes; not settings, which
// may be tuned while a migration is in flight). Hex, FNV-1a 64: detects edits, not tampering.
// Each operation's unit gives its canonical text (planners/ops/registry.cpp).
std::string checksum(const Plan& plan);

} // namespace pgphase::planners
