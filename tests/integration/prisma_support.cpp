// Prisma's table layout and an independent sha256 for the Prisma integration tests.
#include "tests/integration/prisma_support.hpp"

#include "tests/integration/support.hpp"

#include <array>
#include <cstdio>
#include <memory>

namespace pgphase::testing {

const char* const prisma_layout = "id|character varying|36|NO|\n"
                                  "checksum|character varying|64|NO|\n"
                                  "finished_at|timestamp with time zone||YES|\n"
                                  "migration_name|character varying|255|NO|\n"
                                  "logs|text||YES|\n"
                                  "rolled_back_at|timestamp with time zone||YES|\n"
                                  "started_at|timestamp with time zone||NO|now()\n"
                                  "applied_steps_count|integer||NO|0\n";

std::string prisma_table_layout(orchestrator::Session& session, const std::string& schema) {
    const orchestrator::Rows columns = session.query(
        "SELECT column_name, data_type, coalesce(character_maximum_length::text, ''), "
        "is_nullable, coalesce(column_default, '') FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = '_prisma_migrations' "
        "ORDER BY ordinal_position",
        {schema});
    std::string layout;
    for (std::size_t i = 0; i < columns.rows.size(); ++i) {
        layout += columns.text(i, 0) + "|" + columns.text(i, 1) + "|" + columns.text(i, 2) + "|" +
                  columns.text(i, 3) + "|" + columns.text(i, 4) + "\n";
    }
    return layout;
}

std::string sha256sum(const std::string& path) {
    const std::string command = "sha256sum " + shell_quote(path);
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    std::array<char, 65> digest{};
    if (!pipe ||
        std::fgets(digest.data(), static_cast<int>(digest.size()), pipe.get()) == nullptr) {
        return {};
    }
    return std::string(digest.data());
}

} // namespace pgphase::testing
