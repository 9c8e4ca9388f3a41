// `pgphase serve`: the status page, JSON API, Prometheus metrics and controls over HTTP
// (orchestrator/serve). Registers its options and runs until SIGINT or SIGTERM.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace pgphase::orchestrator::cli {

struct ServeArgs {
    std::string listen = "127.0.0.1:8080";
    std::string token_file;
    std::string fleet; // a fleet file: every target, in place of --dsn
};

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);

int serve_command(const Common& common, const ServeArgs& args);

// "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback) split into host and port; nullopt when
// malformed. Pure.
std::optional<std::pair<std::string, unsigned short>> split_listen(const std::string& text);

} // namespace pgphase::orchestrator::cli
