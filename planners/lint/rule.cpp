// The rule table. Lock names and effects are PostgreSQL 15's (docs: "Explicit Locking" and
// the ALTER TABLE reference); the checks that fire them live in rules/*.cpp. Pure.
#include "planners/lint/rule.hpp"

#include <stdexcept>

namespace pgphase::planners::lint {

std::string_view level_name(Level level) {
    switch (level) {
    case Level::error:
        return "error";
    case Level::warning:
        return "warning";
    case Level::info:
        return "info";
    }
    return "error";
}

const std::vector<RuleInfo>& all_rules() {
    static const std::vector<RuleInfo> rules = {
        {"syntax-error", Level::error, "none", "the statement never runs",
         "fix the statement; PostgreSQL will reject it as written",
         "a statement that PostgreSQL's parser rejects"},
        {"rolled-back", Level::info, "none", "the statement never takes effect",
         "remove it, or COMMIT instead of ROLLBACK if it should run",
         "a statement a later ROLLBACK (or ROLLBACK TO SAVEPOINT) undoes; it is not linted"},
        {"invalid-encoding", Level::error, "none", "the statement never runs",
         "save the file as UTF-8 without NUL bytes",
         "invalid UTF-8 or a NUL byte (PostgreSQL rejects the statement holding it)"},
        {"create-index-non-concurrent", Level::error, "SHARE (blocks writes)",
         "scans the table to build the index",
         "CREATE INDEX CONCURRENTLY, outside a transaction (alone in its own Prisma migration)",
         "CREATE INDEX without CONCURRENTLY on an existing table"},
        {"drop-index-non-concurrent", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "no scan; waits for every query on the table",
         "DROP INDEX CONCURRENTLY, outside a transaction",
         "DROP INDEX without CONCURRENTLY on an existing table"},
        {"concurrently-in-transaction", Level::error, "none",
         "fails: cannot run inside a "
         "transaction block",
         "run it outside any transaction: alone in its own migration file (Prisma wraps a "
         "multi-statement migration.sql in one transaction)",
         "CREATE/DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY inside BEGIN ... COMMIT or "
         "beside other statements in a Prisma migration"},
        {"add-column-volatile-default", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "rewrites the table",
         "add the column without a default (or a constant one), then fill it in batches "
         "(pgphase add_column with `up:`)",
         "ADD COLUMN whose default must be computed per row (volatile or not known to be "
         "stable), or a stored generated/identity column"},
        {"add-column-not-null-no-default", Level::error,
         "ACCESS EXCLUSIVE (blocks reads and writes)", "fails on a table that has rows",
         "add it nullable (or with a default), backfill, then SET NOT NULL through a validated "
         "CHECK (pgphase add_column)",
         "ADD COLUMN ... NOT NULL without a DEFAULT"},
        {"set-not-null", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "scans the table",
         "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later "
         "transaction; then SET NOT NULL (no scan) and drop c",
         "ALTER COLUMN ... SET NOT NULL without a validated CHECK (col IS NOT NULL) earlier in "
         "the file, the folder or the database"},
        {"alter-column-type", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "rewrites the table and rebuilds its indexes",
         "add a column of the new type, sync it with a trigger, backfill, then swap (pgphase "
         "change_type)",
         "ALTER COLUMN ... TYPE that is not binary compatible (varchar(n) to text or to a "
         "larger varchar, or numeric(p,s) to a larger precision, are not flagged)"},
        {"rename-column", Level::error, "ACCESS EXCLUSIVE (brief)",
         "no scan; queries of running app versions that use the old name fail",
         "pgphase rename_column: the new version sees the new name through its version "
         "schema, and the column is renamed once no old app version runs",
         "ALTER TABLE ... RENAME COLUMN on an existing table"},
        {"rename-table", Level::error, "ACCESS EXCLUSIVE (brief)",
         "no scan; queries of running app versions that use the old name fail",
         "rename, then create a view under the old name until no old app version runs",
         "ALTER TABLE ... RENAME TO on an existing table"},
        {"rename-enum-value", Level::error, "none on tables (a catalog change of the type)",
         "no scan; running app versions that write or compare with the old label fail "
         "(invalid input value for enum)",
         "add the new label (ALTER TYPE ... ADD VALUE), move the app and the rows to it (rows "
         "in batches: pgphase backfill), and drop the old label only once no app version uses "
         "it",
         "ALTER TYPE ... RENAME VALUE of an enum the file did not create"},
        {"drop-column", Level::error, "ACCESS EXCLUSIVE (brief)",
         "no scan; the column's data is lost and running app versions that use it fail",
         "stop using the column in the app, deploy, then drop it in a later migration "
         "(pgphase's contract phase)",
         "ALTER TABLE ... DROP COLUMN on an existing table"},
        {"drop-table", Level::error, "ACCESS EXCLUSIVE (brief)",
         "no scan; the table's data is lost and running app versions that use it fail",
         "stop using the table in the app, deploy, then drop it in a later migration",
         "DROP TABLE on a table not created in the same file"},
        {"add-foreign-key-validates", Level::error,
         "SHARE ROW EXCLUSIVE on both tables (blocks writes)", "scans the table to validate",
         "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a separate "
         "transaction",
         "ADD FOREIGN KEY without NOT VALID on an existing table"},
        {"add-check-validates", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "scans the table to validate",
         "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a separate "
         "transaction",
         "ADD CHECK without NOT VALID on an existing table"},
        {"add-unique-constraint", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "scans the table to build the index",
         "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE/PRIMARY KEY USING "
         "INDEX",
         "ADD UNIQUE, PRIMARY KEY or EXCLUDE without USING INDEX on an existing table"},
        {"validate-in-same-transaction", Level::error,
         "the ADD CONSTRAINT's lock, held until commit", "scans the table under that lock",
         "commit the NOT VALID constraint first; VALIDATE it in a separate transaction (with "
         "Prisma, in a later migration)",
         "VALIDATE CONSTRAINT in the transaction that added it NOT VALID"},
        {"enum-recreate", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "rewrites every table with a column of the enum",
         "to add values use ALTER TYPE ... ADD VALUE; to remove some, stop writing them and keep "
         "the type, or move the column with pgphase change_type",
         "the enum recreation dance (CREATE TYPE new; ALTER COLUMN TYPE new USING; DROP TYPE "
         "old) that Prisma writes when enum values are removed"},
        {"unbatched-update", Level::error, "ROW EXCLUSIVE; every row locked until commit",
         "writes every row in one transaction (blocks concurrent writers of those rows, bloats "
         "the table)",
         "update in batches by key range, committing each (pgphase backfill)",
         "UPDATE of an existing table whose WHERE fixes no unique key with = or IN: an error "
         "when it compares no column with constants (none, col IS NULL), a warning that lint "
         "cannot tell when it compares other columns"},
        {"unbatched-delete", Level::error, "ROW EXCLUSIVE; every row locked until commit",
         "deletes every row in one transaction",
         "delete in batches by key range, committing each; or TRUNCATE if the table is unused",
         "DELETE from an existing table whose WHERE fixes no unique key with = or IN (an error "
         "or a warning, as for unbatched-update)"},
        {"missing-lock-timeout", Level::warning,
         "SHARE or stronger on an existing table, queued behind running transactions",
         "no scan; while it waits, every later query it conflicts with waits behind it",
         "SET lock_timeout = '2s' at the top of the file and retry on failure (pgphase sets one "
         "itself when it runs a plan)",
         "the first statement in a file that takes a lock blocking writes (SHARE or stronger: "
         "most ALTER TABLE, a foreign key to an existing table, CREATE INDEX, DROP, RENAME) on "
         "a table that existed before the file, with no SET lock_timeout before it (once per "
         "file)"},
        {"cluster", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "rewrites the table and its indexes", "pg_repack or pg_squeeze, outside migrations",
         "CLUSTER"},
        {"vacuum-full", Level::error, "ACCESS EXCLUSIVE (blocks reads and writes)",
         "rewrites the table and its indexes",
         "plain VACUUM, or pg_repack/pg_squeeze outside migrations", "VACUUM FULL"},
        {"reindex-non-concurrent", Level::error,
         "ACCESS EXCLUSIVE on the index, SHARE on the table (blocks writes and reads that use "
         "the index)",
         "rebuilds the index from a table scan", "REINDEX ... CONCURRENTLY, outside a transaction",
         "REINDEX without CONCURRENTLY"},
        {"probable-rename", Level::error, "ACCESS EXCLUSIVE (brief)",
         "the dropped column's data is lost; the new column starts empty",
         "if this is a rename, write ALTER TABLE ... RENAME COLUMN (or pgphase rename_column) "
         "instead of DROP + ADD",
         "DROP COLUMN and ADD COLUMN of the same type on one table in one migration: how "
         "Prisma writes a renamed field"},
        {"prisma-warning", Level::warning, "", "", "read it: Prisma found data at risk",
         "an item of the `Warnings:` header Prisma writes at the top of a migration"},
        {"prefer-timestamptz", Level::info, "", "",
         "timestamptz (Prisma: @db.Timestamptz(3)); `timestamp` drops the time zone",
         "a column of type timestamp without time zone"},
        {"prefer-identity", Level::info, "", "",
         "GENERATED ALWAYS AS IDENTITY (or BY DEFAULT) instead of serial",
         "a serial, bigserial or smallserial column"},
        {"identifier-too-long", Level::info, "", "",
         "a name of at most 63 bytes (Prisma: map: on the index or @@map)",
         "an index, table, column or constraint name longer than 63 bytes, which PostgreSQL "
         "truncates"},
        {"unknown-rule", Level::warning, "", "", "use an id from `pgphase lint --list-rules`",
         "a pgphase:ignore comment naming a rule that does not exist"},
    };
    return rules;
}

const RuleInfo* find_rule(std::string_view id) {
    for (const RuleInfo& info : all_rules()) {
        if (info.id == id) {
            return &info;
        }
    }
    return nullptr;
}

const RuleInfo& rule(std::string_view id) {
    const RuleInfo* info = find_rule(id);
    if (info == nullptr) {
        throw std::logic_error("lint rule \"" + std::string(id) + "\" is not in the rule table");
    }
    return *info;
}

} // namespace pgphase::planners::lint
