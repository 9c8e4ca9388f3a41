// `pgphase convert`: the statements of a raw SQL migration (a Prisma migration.sql, a
// hand-written file) as a plan of pgphase operations, written as commented YAML that
// `pgphase plan` loads unchanged. Pure: takes the text, reads no file, knows no database.
#pragma once

#include "planners/lint/schema.hpp"
#include "planners/model/diagnostic.hpp"

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace pgphase::planners::convert {

struct ConvertResult {
    std::string yaml;   // the plan; empty when `errors` has any
    Diagnostics errors; // statements that do not parse, at file:line:column
    int operations = 0; // changes mapped to a pgphase operation
    int raw_sql = 0;    // changes kept as `sql` (no safe rewrite)
    int to_confirm = 0; // probable renames to confirm
    int to_fill = 0;    // NOT NULL columns whose `up` the user must write
    // The source lines (first, last) of each statement or group kept as an `sql` change: what
    // the plan runs as written, so what lint says of those lines still holds for the plan.
    std::vector<std::pair<int, int>> kept_as_sql;
};

// `path` names the input in messages and gives the migration's name. `before`, when given,
// holds the column types earlier migrations created (lint's replay of them): a DROP COLUMN
// and an ADD COLUMN of the same type on one table then read as a rename, as lint's
// probable-rename rule reads them; without it, only alike names do.
ConvertResult convert_sql(const std::string& path, std::string text,
                          const lint::SchemaModel* before = nullptr);

// The same, writing the plan piece by piece to the stream `open` returns instead of into
// `yaml`, so that a big plan is never held whole next to its changes. `open` is called only
// when there is a plan to write (no errors), once.
ConvertResult convert_sql(const std::string& path, std::string text,
                          const lint::SchemaModel* before,
                          const std::function<std::ostream&()>& open);

// A valid migration name from a file or Prisma folder name: `.../20220707120437_from_app_to
// _resource/migration.sql` -> 20220707120437_from_app_to_resource; lowercase, [a-z0-9_],
// at most 48 characters.
std::string migration_name_for(const std::string& path);

} // namespace pgphase::planners::convert
