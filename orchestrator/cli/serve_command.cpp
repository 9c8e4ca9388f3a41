// `pgphase serve`: checks the address and the token, connects to the state store once to fail
// early, then serves until a signal. Loopback by default; any other address needs a token file.
#include "orchestrator/cli/serve_command.hpp"

#include "orchestrator/cli/fleet_command.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/serve/routes.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

namespace pgphase::orchestrator::cli {

namespace asio = boost::asio;

namespace {

std::string read_token(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw CommandError(ExitCode::bad_input, "cannot read --token-file " + path,
                           "write the token (any secret string) on the file's first line");
    }
    std::string token;
    std::getline(in, token);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())) != 0) {
        token.pop_back();
    }
    if (token.size() < 16) {
        throw CommandError(ExitCode::bad_input,
                           "the token in " + path + " is " +
                               (token.empty() ? "empty" : "shorter than 16 characters"),
                           "e.g. openssl rand -hex 32 > " + path);
    }
    return token;
}

std::string new_token() {
    std::random_device random;
    std::ostringstream out;
    for (int i = 0; i < 8; ++i) {
        out << std::hex;
        out.width(8);
        out.fill('0');
        out << random();
    }
    return out.str();
}

} // namespace

std::optional<std::pair<std::string, unsigned short>> split_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    std::string host = text.substr(0, colon);
    const std::string port_text = text.substr(colon + 1);
    unsigned short port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size()) {
        return std::nullopt;
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty() || host == "localhost") {
        host = "127.0.0.1";
    }
    return std::make_pair(host, port);
}

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args) {
    CLI::App* serve =
        app.add_subcommand("serve", "a live status page, JSON API, Prometheus metrics and the "
                                    "pause/resume/tune controls over HTTP (docs/status-page.md)");
    serve->add_option("--listen", args.listen, "HOST:PORT (default 127.0.0.1:8080; port 0: any)");
    serve->add_option("--fleet", args.fleet,
                      "a fleet file: every target's migrations, in place of --dsn (docs/fleet.md)");
    serve->add_option("--token-file", args.token_file,
                      "the bearer token for the controls (default: a new one, printed once); "
                      "needed to listen beyond loopback");
    return serve;
}

int serve_command(const Common& common, const ServeArgs& args) {
    const auto listen = split_listen(args.listen);
    boost::system::error_code bad;
    const auto address = listen ? asio::ip::make_address(listen->first, bad) : asio::ip::address();
    if (!listen || bad) {
        throw CommandError(ExitCode::bad_input, "--listen " + args.listen + " is not HOST:PORT",
                           "e.g. --listen 127.0.0.1:8080 or --listen [::1]:8080");
    }
    if (!address.is_loopback() && args.token_file.empty()) {
        throw CommandError(ExitCode::bad_input,
                           "--listen " + args.listen +
                               " is reachable from other machines and needs --token-file",
                           "the controls pause and tune backfills: give them a secret, or listen "
                           "on 127.0.0.1 and reach it through an SSH tunnel");
    }
    const bool generated = args.token_file.empty();
    const std::string token = generated ? new_token() : read_token(args.token_file);

    // A database that does not answer must not hold every page for minutes (libpq's default
    // is to wait for TCP); an explicit PGCONNECT_TIMEOUT or connect_timeout wins.
    ::setenv("PGCONNECT_TIMEOUT", "5", 0); // NOLINT(concurrency-mt-unsafe): no threads yet
    std::vector<std::unique_ptr<serve::ServeData>> databases;
    std::vector<serve::RouteTarget> targets;
    std::string what;
    if (args.fleet.empty()) {
        databases.push_back(
            std::make_unique<serve::ServeData>(require_dsn(common), common.state_schema));
        const serve::Snapshot first = databases.front()->overview(); // fails early
        what = "database " + first.database + ", state schema " + common.state_schema + ", " +
               std::to_string(first.migrations.size()) + " migration" +
               (first.migrations.size() == 1 ? "" : "s");
    } else {
        if (!common.dsn.empty()) {
            throw CommandError(ExitCode::bad_input, "--fleet and --dsn together",
                               "the fleet file names every database");
        }
        const planners::fleet::Fleet fleet = load_fleet(args.fleet);
        for (const auto& target : fleet.targets) {
            databases.push_back(std::make_unique<serve::ServeData>(
                Dsn(target.dsn), common.state_schema, "/targets/" + target.name));
            targets.push_back({target.name, databases.back().get()});
        }
        what = "fleet " + args.fleet + ", " + std::to_string(targets.size()) + " target" +
               (targets.size() == 1 ? "" : "s");
    }
    serve::Routes routes = args.fleet.empty()
                               ? serve::Routes(*databases.front(), token, actor(common))
                               : serve::Routes(args.fleet, targets, token, actor(common));

    asio::io_context io;
    std::unique_ptr<serve::HttpServer> bound_server;
    try {
        bound_server = std::make_unique<serve::HttpServer>(
            io, asio::ip::tcp::endpoint{address, listen->second},
            [&routes](const serve::HttpRequest& request) { return routes(request); });
    } catch (const boost::system::system_error& e) {
        std::string why = e.code().message(); // "Address already in use": lowercased, as
        if (!why.empty()) {                   // pgphase's messages are
            why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
        }
        throw CommandError(ExitCode::bad_input, "cannot listen on " + args.listen + ": " + why,
                           "another process may hold the port: pick another with --listen "
                           "127.0.0.1:PORT, or port 0 for any free one");
    }
    serve::HttpServer& server = *bound_server;
    server.start();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int) {
        if (!error) {
            log::info("serve.stopping", {});
            server.stop();
            io.stop();
        }
    });
    const auto bound = server.local_endpoint();
    const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                     : bound.address().to_string();
    std::cout << "pgphase serve: http://" << host << ":" << bound.port() << "/ (" << what
              << "); Ctrl-C stops it\n";
    if (generated) {
        std::cout << "pgphase serve: token for the controls (shown once): " << token << "\n";
    }
    std::cout.flush();
    io.run();
    return 0;
}

} // namespace pgphase::orchestrator::cli
