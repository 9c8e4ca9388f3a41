// Reads a migrations folder for `pgphase deploy`: which kind it is, its migrations in order,
// their bytes and where their reviewed plans belong. Reads files; knows no database.
#include "planners/deploy/folder.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pgphase::planners::deploy {

namespace fs = std::filesystem;

namespace {

bool read_bytes(const fs::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    out = bytes.str();
    return static_cast<bool>(in) || in.eof();
}

bool is_prisma_folder(const fs::path& dir) {
    std::error_code code;
    if (fs::exists(dir / "migration_lock.toml", code)) {
        return true;
    }
    for (const auto& entry : fs::directory_iterator(dir, code)) {
        if (entry.is_directory(code) && fs::exists(entry.path() / "migration.sql", code)) {
            return true;
        }
    }
    return false;
}

void add(MigrationFolder& out, std::string name, const fs::path& sql, const fs::path& reviewed) {
    FolderMigration migration;
    migration.name = std::move(name);
    migration.path = sql.string();
    migration.reviewed_plan_path = reviewed.string();
    std::error_code code;
    migration.has_reviewed_plan = fs::is_regular_file(reviewed, code);
    if (!read_bytes(sql, migration.script)) {
        out.errors.push_back("could not read \"" + migration.path + "\"");
        return;
    }
    out.migrations.push_back(std::move(migration));
}

} // namespace

const char* kind_name(FolderKind kind) {
    return kind == FolderKind::prisma ? "prisma" : "plain";
}

MigrationFolder read_folder(const std::string& dir) {
    MigrationFolder out;
    fs::path root(dir);
    std::error_code code;
    if (!fs::is_directory(root, code)) {
        out.errors.push_back("\"" + dir + "\" is not a directory");
        return out;
    }
    if (fs::is_directory(root / "migrations", code) && !is_prisma_folder(root)) {
        root /= "migrations";
    }
    out.dir = root.string();
    out.kind = is_prisma_folder(root) ? FolderKind::prisma : FolderKind::plain;

    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(root, code)) {
        entries.push_back(entry.path());
    }
    if (code) {
        out.errors.push_back("could not list \"" + out.dir + "\": " + code.message());
        return out;
    }
    // Lexical by name, byte by byte: the order Prisma applies its directories in.
    std::sort(entries.begin(), entries.end(), [](const fs::path& a, const fs::path& b) {
        return a.filename().string() < b.filename().string();
    });
    for (const fs::path& path : entries) {
        const std::string file = path.filename().string();
        const bool directory = fs::is_directory(path, code);
        if (out.kind == FolderKind::prisma) {
            if (directory) {
                if (!fs::exists(path / "migration.sql", code)) {
                    out.errors.push_back("Prisma migration directory \"" + path.string() +
                                         "\" has no migration.sql");
                    continue;
                }
                add(out, file, path / "migration.sql", path / "pgphase.yaml");
            } else if (path.extension() == ".sql") {
                out.notes.push_back("skipped \"" + path.string() +
                                    "\": a Prisma migrations folder holds its SQL in "
                                    "<name>/migration.sql");
            }
        } else if (!directory && path.extension() == ".sql") {
            const std::string stem = path.stem().string();
            add(out, stem, path, root / (stem + ".pgphase.yaml"));
        }
    }
    if (out.migrations.empty() && out.errors.empty()) {
        out.errors.push_back("\"" + out.dir +
                             "\" holds no migration: neither <name>/migration.sql nor *.sql");
    }
    return out;
}

} // namespace pgphase::planners::deploy
