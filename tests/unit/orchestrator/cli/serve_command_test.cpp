#include "orchestrator/cli/serve_command.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator::cli {
namespace {

using Listen = std::optional<std::pair<std::string, unsigned short>>;

TEST(ServeListen, SplitsHostAndPort) {
    EXPECT_EQ(split_listen("127.0.0.1:8080"), Listen({"127.0.0.1", 8080}));
    EXPECT_EQ(split_listen("[::1]:9000"), Listen({"::1", 9000}));
    EXPECT_EQ(split_listen("0.0.0.0:0"), Listen({"0.0.0.0", 0}));
}

TEST(ServeListen, LocalhostAndABarePortMeanLoopback) {
    EXPECT_EQ(split_listen("localhost:8080"), Listen({"127.0.0.1", 8080}));
    EXPECT_EQ(split_listen(":8080"), Listen({"127.0.0.1", 8080}));
}

TEST(ServeListen, RefusesWhatIsNotHostColonPort) {
    EXPECT_EQ(split_listen("8080"), std::nullopt);
    EXPECT_EQ(split_listen("127.0.0.1:"), std::nullopt);
    EXPECT_EQ(split_listen("127.0.0.1:http"), std::nullopt);
    EXPECT_EQ(split_listen("127.0.0.1:65536"), std::nullopt);
    EXPECT_EQ(split_listen("127.0.0.1:80x"), std::nullopt);
}

} // namespace
} // namespace pgphase::orchestrator::cli
