// DSN normalisation and redaction. No database access.
#include "orchestrator/pg/dsn.hpp"

#include <array>
#include <cstdlib>
#include <regex>

namespace pgphase::orchestrator {

namespace {

bool is_url(const std::string& text) {
    return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

// Query parameters Prisma understands but libpq does not.
constexpr std::array<const char*, 8> prisma_only = {
    "schema",         "connection_limit",     "pool_timeout", "pgbouncer",
    "socket_timeout", "statement_cache_size", "sslaccept",    "sslidentity"};

std::string strip_prisma_parameters(const std::string& url) {
    const auto question = url.find('?');
    if (question == std::string::npos) {
        return url;
    }
    std::string kept;
    std::size_t start = question + 1;
    while (start <= url.size()) {
        std::size_t end = url.find('&', start);
        if (end == std::string::npos) {
            end = url.size();
        }
        const std::string pair = url.substr(start, end - start);
        const std::string key = pair.substr(0, pair.find('='));
        bool drop = pair.empty();
        for (const char* name : prisma_only) {
            drop = drop || key == name;
        }
        if (!drop) {
            kept += kept.empty() ? "" : "&";
            kept += pair;
        }
        start = end + 1;
    }
    return url.substr(0, question) + (kept.empty() ? "" : "?" + kept);
}

} // namespace

Dsn::Dsn(std::string text)
    : m_text(std::move(text))
    , m_libpq(is_url(m_text) ? strip_prisma_parameters(m_text) : m_text) {}

std::optional<Dsn> Dsn::from_option_or_env(const std::string& option) {
    if (!option.empty()) {
        return Dsn(option);
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read at startup, before any thread exists
    if (const char* env = std::getenv("DATABASE_URL"); env != nullptr && *env != '\0') {
        return Dsn(env);
    }
    return std::nullopt;
}

std::string Dsn::redacted() const {
    std::string out = m_libpq;
    if (is_url(out)) {
        // scheme://user:password@host -> scheme://user:***@host
        // libpq ends the user info at the first '@' or '/': a password may hold '?' or ':'.
        static const std::regex userinfo(R"(^(postgres(?:ql)?://[^:/@]*):[^@/]*@)");
        out = std::regex_replace(out, userinfo, "$1:***@");
        static const std::regex query_password(R"(([?&]password=)[^&]*)");
        return std::regex_replace(out, query_password, "$1***");
    }
    // A value is quoted ('...') or runs to the next unescaped space; backslash escapes both.
    static const std::regex keyword(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|(?:[^\s\\]|\\.)*))");
    return std::regex_replace(out, keyword, "$1***");
}

} // namespace pgphase::orchestrator
