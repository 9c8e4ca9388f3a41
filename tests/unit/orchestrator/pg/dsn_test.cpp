// Connection strings: the password never reaches a log line, and a Prisma DATABASE_URL is
// trimmed to what libpq accepts.
#include "orchestrator/pg/dsn.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <optional>
#include <string>

namespace pgphase::orchestrator {
namespace {

// Sets or unsets DATABASE_URL for one test and restores the previous value afterwards.
class DatabaseUrl {
public:
    explicit DatabaseUrl(const char* value) {
        if (const char* old = std::getenv("DATABASE_URL"); old != nullptr) {
            m_previous = old;
        }
        if (value == nullptr) {
            ::unsetenv("DATABASE_URL");
        } else {
            ::setenv("DATABASE_URL", value, 1);
        }
    }
    ~DatabaseUrl() {
        if (m_previous) {
            ::setenv("DATABASE_URL", m_previous->c_str(), 1);
        } else {
            ::unsetenv("DATABASE_URL");
        }
    }
    DatabaseUrl(const DatabaseUrl&) = delete;
    DatabaseUrl& operator=(const DatabaseUrl&) = delete;

private:
    std::optional<std::string> m_previous;
};

// ---------------------------------------------------------------------------------------------
// redacted()

TEST(DsnRedacted, HidesTheUrlPasswordAndKeepsEverythingElse) {
    const Dsn dsn("postgresql://u:secret@h:5432/db");
    EXPECT_EQ(dsn.redacted(), "postgresql://u:***@h:5432/db");
    EXPECT_EQ(dsn.connection_string(), "postgresql://u:secret@h:5432/db");
}

TEST(DsnRedacted, HidesThePasswordOfAShortSchemeUrlWithParameters) {
    const Dsn dsn("postgres://u:secret@h/db?sslmode=require");
    EXPECT_EQ(dsn.redacted(), "postgres://u:***@h/db?sslmode=require");
}

TEST(DsnRedacted, HidesAPasswordGivenAsAUrlParameter) {
    const Dsn dsn("postgresql://u@h/db?sslmode=require&password=secret&application_name=x");
    EXPECT_EQ(dsn.redacted(),
              "postgresql://u@h/db?sslmode=require&password=***&application_name=x");
    const Dsn first("postgresql://h/db?password=secret");
    EXPECT_EQ(first.redacted(), "postgresql://h/db?password=***");
}

TEST(DsnRedacted, HidesAPasswordWithoutAUserName) {
    EXPECT_EQ(Dsn("postgresql://:secret@h/db").redacted(), "postgresql://:***@h/db");
}

TEST(DsnRedacted, HidesAPasswordContainingColonsAndPercentEscapes) {
    const Dsn dsn("postgresql://u:se:cr%40et@h/db");
    EXPECT_EQ(dsn.redacted(), "postgresql://u:***@h/db");
}

TEST(DsnRedacted, LeavesAUrlWithoutPasswordUnchanged) {
    EXPECT_EQ(Dsn("postgresql://u@h:5432/db?sslmode=require").redacted(),
              "postgresql://u@h:5432/db?sslmode=require");
}

TEST(DsnRedacted, HidesAKeywordPassword) {
    const Dsn dsn("host=h password=secret user=u");
    EXPECT_EQ(dsn.redacted(), "host=h password=*** user=u");
    EXPECT_EQ(dsn.connection_string(), "host=h password=secret user=u");
}

TEST(DsnRedacted, HidesAQuotedKeywordPasswordWithSpaces) {
    const Dsn dsn("host=h password='sec ret' user=u");
    EXPECT_EQ(dsn.redacted(), "host=h password=*** user=u");
}

TEST(DsnRedacted, HidesAQuotedKeywordPasswordWithAnEscapedQuote) {
    const Dsn dsn(R"(host=h password='it\'s secret' dbname=d)");
    EXPECT_EQ(dsn.redacted(), "host=h password=*** dbname=d");
}

TEST(DsnRedacted, HidesAKeywordPasswordWithSpacesAroundTheEqualsSign) {
    EXPECT_EQ(Dsn("host=h password = secret").redacted(), "host=h password = ***");
}

TEST(DsnRedacted, NeverContainsThePasswordInAnySupportedForm) {
    for (const char* text :
         {"postgresql://u:secret@h:5432/db", "postgres://u:secret@h/db?sslmode=require",
          "postgresql://u@h/db?password=secret", "host=h password=secret user=u",
          "host=h password='secret and more' user=u", "password=secret",
          "postgresql://u:secret@h/db?schema=public&password=secret"}) {
        SCOPED_TRACE(text);
        EXPECT_EQ(Dsn(text).redacted().find("secret"), std::string::npos) << Dsn(text).redacted();
    }
}

// Regression (fixed): libpq takes everything between "user:" and '@' as the password (it only looks
// for '@' or '/'), so an unencoded '?' in the password works for connecting; but the userinfo regex
// in Dsn::redacted (dsn.cpp:67, [^@/?]*) stops at '?', does not match, and the whole password is
// printed: redacted() returns "postgresql://u:se?cret@h/db" unchanged.
TEST(DsnRedacted, HidesAUrlPasswordContainingAQuestionMark) {
    const Dsn dsn("postgresql://u:se?cret@h/db");
    EXPECT_EQ(dsn.redacted().find("cret"), std::string::npos) << dsn.redacted();
}

// Regression (fixed): in key=value strings libpq reads a backslash as an escape in unquoted values,
// so `password=sec\ ret` is the password "sec ret"; the redaction regex (dsn.cpp, \S*) stops at the
// space and redacted() returns "host=h password=*** ret", leaking the rest.
TEST(DsnRedacted, HidesAKeywordPasswordWithAnEscapedSpace) {
    const Dsn dsn(R"(host=h password=sec\ ret user=u)");
    EXPECT_EQ(dsn.redacted(), "host=h password=*** user=u");
}

// ---------------------------------------------------------------------------------------------
// Prisma parameters

TEST(DsnConnectionString, DropsPrismaOnlyParametersAndKeepsLibpqOnes) {
    const Dsn dsn("postgresql://u:p@h/db?schema=public&sslmode=require&connection_limit=5"
                  "&pgbouncer=true&pool_timeout=3&connect_timeout=10&socket_timeout=9"
                  "&statement_cache_size=0&sslaccept=strict&sslidentity=id.p12");
    EXPECT_EQ(dsn.connection_string(), "postgresql://u:p@h/db?sslmode=require&connect_timeout=10");
    EXPECT_EQ(dsn.redacted(), "postgresql://u:***@h/db?sslmode=require&connect_timeout=10");
}

TEST(DsnConnectionString, DropsTheQuestionMarkWhenOnlyPrismaParametersWereGiven) {
    EXPECT_EQ(Dsn("postgresql://u@h/db?schema=app&connection_limit=1").connection_string(),
              "postgresql://u@h/db");
}

TEST(DsnConnectionString, KeepsAUrlWithoutParametersAsItIs) {
    EXPECT_EQ(Dsn("postgres://u:p@h:6432/db").connection_string(), "postgres://u:p@h:6432/db");
}

TEST(DsnConnectionString, DropsEmptyParameters) {
    EXPECT_EQ(Dsn("postgresql://h/db?&sslmode=require&").connection_string(),
              "postgresql://h/db?sslmode=require");
}

TEST(DsnConnectionString, KeepsAParameterWhoseNameOnlyStartsLikeAPrismaOne) {
    EXPECT_EQ(Dsn("postgresql://h/db?schemas=x&application_name=schema").connection_string(),
              "postgresql://h/db?schemas=x&application_name=schema");
}

TEST(DsnConnectionString, LeavesKeywordStringsUntouched) {
    EXPECT_EQ(Dsn("host=h dbname=d sslmode=require").connection_string(),
              "host=h dbname=d sslmode=require");
}

// ---------------------------------------------------------------------------------------------
// from_option_or_env

TEST(DsnFromOptionOrEnv, PrefersTheOptionOverDatabaseUrl) {
    const DatabaseUrl env("postgresql://env@h/envdb");
    const auto dsn = Dsn::from_option_or_env("postgresql://option@h/optdb");
    ASSERT_TRUE(dsn);
    EXPECT_EQ(dsn->connection_string(), "postgresql://option@h/optdb");
}

TEST(DsnFromOptionOrEnv, FallsBackToDatabaseUrlAndNormalisesIt) {
    const DatabaseUrl env("postgresql://u:secret@h/envdb?schema=public&sslmode=disable");
    const auto dsn = Dsn::from_option_or_env("");
    ASSERT_TRUE(dsn);
    EXPECT_EQ(dsn->connection_string(), "postgresql://u:secret@h/envdb?sslmode=disable");
    EXPECT_EQ(dsn->redacted(), "postgresql://u:***@h/envdb?sslmode=disable");
}

TEST(DsnFromOptionOrEnv, IsEmptyWithNeitherOptionNorDatabaseUrl) {
    const DatabaseUrl env(nullptr);
    EXPECT_FALSE(Dsn::from_option_or_env(""));
}

TEST(DsnFromOptionOrEnv, TreatsAnEmptyDatabaseUrlAsAbsent) {
    const DatabaseUrl env("");
    EXPECT_FALSE(Dsn::from_option_or_env(""));
}

} // namespace
} // namespace pgphase::orchestrator
