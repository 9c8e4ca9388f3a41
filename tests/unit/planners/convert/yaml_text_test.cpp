// YAML quoting: identifiers come back from yaml-cpp exactly as written.
#include "planners/convert/yaml_text.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::convert {
namespace {

TEST(ConvertYaml, PlainOnlyWhenYamlReadsItBackUnchanged) {
    EXPECT_EQ(yaml_scalar("users"), "users");
    EXPECT_EQ(yaml_scalar("select"), "select");
    EXPECT_EQ(yaml_scalar("User"), "\"User\"");
    EXPECT_EQ(yaml_scalar("yes"), "\"yes\"");
    EXPECT_EQ(yaml_scalar("null"), "\"null\"");
    EXPECT_EQ(yaml_scalar("1abc"), "\"1abc\"");
    EXPECT_EQ(yaml_scalar("quo\"te"), "\"quo\\\"te\"");
    EXPECT_EQ(yaml_scalar("back\\slash"), "\"back\\\\slash\"");
    EXPECT_EQ(yaml_scalar(""), "\"\"");
}

TEST(ConvertYaml, BlockIndentsEveryLine) {
    EXPECT_EQ(yaml_block("a\n  b\n\nc  ", 4), "|\n    a\n      b\n\n    c");
}

} // namespace
} // namespace pgphase::planners::convert
