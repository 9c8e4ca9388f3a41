// pgphase lint: finds the statements of raw SQL migrations that would block production,
// lose data or fail on a populated table. Reads the files it is given (a .sql file, a
// directory of .sql files, a Prisma migrations folder); no database. Pure otherwise.
#pragma once

#include "planners/lint/finding.hpp"
#include "planners/lint/schema.hpp"
#include "planners/lint/source.hpp"

#include <string>
#include <vector>

namespace pgphase::planners::lint {

struct InputFile {
    std::string path;
    bool prisma = false; // a migration.sql of a Prisma migrations folder
};

// Expands PATHs in order: a file as is; a directory into its `*/migration.sql` and `*.sql`
// entries sorted by name (a folder holding `migrations/` is read through it). Problems go to
// `errors`, one line each, and the other paths are still expanded.
std::vector<InputFile> collect_inputs(const std::vector<std::string>& paths,
                                      std::vector<std::string>& errors);

// Lints files in order, replaying each into the schema model the next ones see (unless
// options.replay is off).
class Linter {
public:
    explicit Linter(LintOptions options)
        : m_options(std::move(options)) {}
    // Starts every file from `catalog` (a live database's), then replays as usual.
    Linter(LintOptions options, const planners::Catalog& catalog);

    void lint(const SourceFile& file, bool prisma_file);
    LintResult& result() { return m_result; }
    // What the files linted so far leave behind (the seed, then each file replayed).
    const SchemaModel& schema() const { return m_schema; }

private:
    LintOptions m_options;
    SchemaModel m_seed; // what each file starts from when not replaying
    SchemaModel m_schema;
    LintResult m_result;
};

// collect_inputs, read, lint; starting from `catalog` when given.
LintResult lint_paths(const std::vector<std::string>& paths, const LintOptions& options,
                      const planners::Catalog* catalog = nullptr);

} // namespace pgphase::planners::lint
