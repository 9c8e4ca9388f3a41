#include "orchestrator/serve/routes.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator::serve {
namespace {

TEST(ServeUrlDecode, DecodesPercentEscapesOfAPathSegment) {
    EXPECT_EQ(url_decode("plain_name"), "plain_name");
    EXPECT_EQ(url_decode("Mixed%20Case"), "Mixed Case");
    EXPECT_EQ(url_decode("%3Cscript%3E"), "<script>");
    EXPECT_EQ(url_decode("%c3%bc"), "\xc3\xbc");
}

TEST(ServeUrlDecode, RefusesTruncatedEscapesSlashesAndNul) {
    EXPECT_EQ(url_decode("abc%"), std::nullopt);
    EXPECT_EQ(url_decode("abc%4"), std::nullopt);
    EXPECT_EQ(url_decode("abc%zz"), std::nullopt);
    EXPECT_EQ(url_decode("a%2Fb"), std::nullopt) << "a name never holds a slash";
    EXPECT_EQ(url_decode("a%00b"), std::nullopt);
}

TEST(ServeSameSecret, MatchesOnlyTheWholeTokenAndNeverAnEmptyOne) {
    EXPECT_TRUE(same_secret("0123456789abcdef", "0123456789abcdef"));
    EXPECT_FALSE(same_secret("0123456789abcdeF", "0123456789abcdef"));
    EXPECT_FALSE(same_secret("0123456789abcde", "0123456789abcdef"));
    EXPECT_FALSE(same_secret("0123456789abcdef0", "0123456789abcdef"));
    EXPECT_FALSE(same_secret("", "0123456789abcdef"));
    EXPECT_FALSE(same_secret("", ""));
}

} // namespace
} // namespace pgphase::orchestrator::serve
