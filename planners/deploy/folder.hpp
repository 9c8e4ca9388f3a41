// A migrations folder as `pgphase deploy` reads it: a Prisma migrations folder
// (`<name>/migration.sql`, an optional `migration_lock.toml`) or a plain folder of `*.sql`
// files, each one migration named by its stem. Reads files; knows no database.
#pragma once

#include <string>
#include <vector>

namespace pgphase::planners::deploy {

enum class FolderKind { prisma, plain };

struct FolderMigration {
    std::string name;   // Prisma: the directory's name (its migration_name); plain: the stem
    std::string path;   // the SQL file
    std::string script; // its bytes, exactly as on disk
    // Where a reviewed plan for it belongs: <name>/pgphase.yaml beside a Prisma migration,
    // <stem>.pgphase.yaml beside a plain file. Used when that file exists.
    std::string reviewed_plan_path;
    bool has_reviewed_plan = false;
};

struct MigrationFolder {
    FolderKind kind = FolderKind::plain;
    std::string dir;                         // the folder holding the migrations
    std::vector<FolderMigration> migrations; // in the order they apply (lexical, by name)
    std::vector<std::string> errors;         // one line each; non-empty: nothing is usable
    std::vector<std::string> notes;          // files it skipped, and why
};

// Reads `dir`. A folder that holds `migrations/` (a `prisma/` folder) is read through it. It
// is a Prisma folder when any subdirectory holds migration.sql or migration_lock.toml is
// there; then loose *.sql files are skipped with a note, as Prisma skips them, and a
// subdirectory without migration.sql is an error, as it is for Prisma.
MigrationFolder read_folder(const std::string& dir);

const char* kind_name(FolderKind kind); // "prisma", "plain"

} // namespace pgphase::planners::deploy
