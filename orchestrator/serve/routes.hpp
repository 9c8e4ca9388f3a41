// What `pgphase serve` answers: the pages, the JSON API, /metrics and the controls. The
// controls are POSTs that need `Authorization: Bearer <token>`; without it they get 401 and
// change nothing. Pages and metrics are read-only.
#pragma once

#include "orchestrator/serve/http_server.hpp"
#include "orchestrator/serve/serve_data.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgphase::orchestrator::serve {

struct RouteTarget {
    std::string name;
    ServeData* data = nullptr;
};

class Routes {
public:
    // One database. `actor`: who the serve process runs as; a control is recorded as
    // "<actor> via serve from <client address>".
    Routes(ServeData& data, std::string token, std::string actor);
    // `serve --fleet`: `/` lists the targets, `/metrics` has them all (label `target`), and
    // each target's pages, API and controls live below `/targets/NAME/`.
    Routes(std::string fleet_file, std::vector<RouteTarget> targets, std::string token,
           std::string actor);

    HttpResponse operator()(const HttpRequest& request);

private:
    HttpResponse database(ServeData& data, const HttpRequest& request, const std::string& path);
    HttpResponse get(ServeData& data, const std::string& path);
    HttpResponse control(ServeData& data, const HttpRequest& request, const std::string& name,
                         const std::string& command);
    std::vector<TargetView> read_targets();

    std::string m_fleet_file; // "" for one database
    std::vector<RouteTarget> m_targets;
    std::string m_token;
    std::string m_actor;
};

// Percent-decoding of one path segment; nullopt when malformed or when it decodes to a '/' or
// a NUL. Pure.
std::optional<std::string> url_decode(std::string_view segment);

// Compares in time independent of where the strings differ. Pure.
bool same_secret(std::string_view a, std::string_view b);

} // namespace pgphase::orchestrator::serve
