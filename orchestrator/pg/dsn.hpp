// A connection string that never prints its password. Accepts URLs (postgresql://...) and
// key=value strings; drops Prisma-only URL parameters (schema, connection_limit, ...) that
// libpq would reject, so a Prisma DATABASE_URL works as it is.
#pragma once

#include <optional>
#include <string>

namespace pgphase::orchestrator {

class Dsn {
public:
    explicit Dsn(std::string text);

    // --dsn if given, else $DATABASE_URL; nullopt if neither.
    static std::optional<Dsn> from_option_or_env(const std::string& option);

    const std::string& connection_string() const { return m_libpq; }
    // As given, Prisma parameters included (the `schema` of Prisma's migration history).
    const std::string& text() const { return m_text; }
    std::string redacted() const; // password replaced by ***

private:
    std::string m_text;
    std::string m_libpq;
};

} // namespace pgphase::orchestrator
