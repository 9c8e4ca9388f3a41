// What the Prisma-facing integration tests share: Prisma's `_prisma_migrations` layout as
// information_schema describes it, the layout a database has, and sha256sum of a file.
#pragma once

#include "orchestrator/pg/session.hpp"

#include <string>

namespace pgphase::testing {

// Prisma's table, as information_schema describes its DDL (prisma-engines, sql-schema-connector
// flavour/postgres.rs create_migrations_table): name|type|length|nullable|default per line.
extern const char* const prisma_layout;

// The same description of `schema`._prisma_migrations in a database.
std::string prisma_table_layout(orchestrator::Session& session,
                                const std::string& schema = "public");

// The hex digest `sha256sum` prints for a file, computed outside pgphase; "" on failure.
std::string sha256sum(const std::string& path);

} // namespace pgphase::testing
