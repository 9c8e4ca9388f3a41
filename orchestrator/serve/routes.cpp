// Routes of `pgphase serve`. Reads go through ServeData (cached); controls through the same
// state-store calls as `pgphase pause/resume/tune`.
#include "orchestrator/serve/routes.hpp"

#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/serve/metrics.hpp"
#include "orchestrator/serve/pages.hpp"

#include <algorithm>
#include <optional>

namespace pgphase::orchestrator::serve {

namespace {

constexpr std::string_view migrations_page = "/migrations/";
constexpr std::string_view migrations_api = "/api/migrations/";
constexpr std::string_view targets_prefix = "/targets/"; // serve --fleet: a target's own pages
constexpr std::size_t longest_name = 256;                // longer path segments are not looked up

HttpResponse json_response(unsigned status, const nlohmann::json& body) {
    HttpResponse response;
    response.status = status;
    response.content_type = "application/json";
    response.body = body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return response;
}

HttpResponse json_error(unsigned status, const std::string& message, const std::string& hint = {}) {
    nlohmann::json body = {{"error", message}};
    if (!hint.empty()) {
        body["hint"] = hint;
    }
    return json_response(status, body);
}

HttpResponse html(unsigned status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.content_type = "text/html; charset=utf-8";
    response.body = std::move(body);
    // The page's own inline script and styles only: nothing is loaded from anywhere else.
    response.headers = {
        {"Content-Security-Policy",
         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
         "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
         "form-action 'self'"},
        {"Referrer-Policy", "no-referrer"}};
    return response;
}

nlohmann::json statuses(const Snapshot& snapshot) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& migration : snapshot.migrations) {
        out.push_back(migration.status);
    }
    return out;
}

// The path without its query string.
std::string path_of(const std::string& target) {
    return target.substr(0, target.find('?'));
}

// "NAME" from PREFIX + "NAME" (+ "/" + rest into `rest`), decoded; nullopt if malformed.
std::optional<std::string> name_after(std::string_view path, std::string_view prefix,
                                      std::string* rest) {
    std::string_view tail = path.substr(prefix.size());
    const auto slash = tail.find('/');
    if (rest) {
        *rest = slash == std::string_view::npos ? "" : std::string(tail.substr(slash + 1));
    } else if (slash != std::string_view::npos) {
        return std::nullopt;
    }
    tail = tail.substr(0, slash);
    if (tail.empty() || tail.size() > 3 * longest_name) {
        return std::nullopt;
    }
    return url_decode(tail);
}

std::optional<std::int64_t> integer_field(const nlohmann::json& body, const char* key) {
    const auto found = body.find(key);
    if (found == body.end() || found->is_null()) {
        return std::nullopt;
    }
    if (!found->is_number_integer()) {
        throw CommandError(ExitCode::bad_input, std::string(key) + " must be a whole number");
    }
    return found->get<std::int64_t>();
}

} // namespace

std::optional<std::string> url_decode(std::string_view segment) {
    std::string out;
    out.reserve(segment.size());
    for (std::size_t i = 0; i < segment.size(); ++i) {
        const char c = segment[i];
        if (c != '%') {
            out += c;
            continue;
        }
        if (i + 2 >= segment.size()) {
            return std::nullopt;
        }
        int value = 0;
        for (std::size_t j = i + 1; j <= i + 2; ++j) {
            const char h = segment[j];
            const int digit = h >= '0' && h <= '9'   ? h - '0'
                              : h >= 'a' && h <= 'f' ? h - 'a' + 10
                              : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                     : -1;
            if (digit < 0) {
                return std::nullopt;
            }
            value = value * 16 + digit;
        }
        if (value == 0 || value == '/') {
            return std::nullopt;
        }
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

bool same_secret(std::string_view a, std::string_view b) {
    unsigned char differ = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        differ |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
    }
    return differ == 0 && !b.empty();
}

Routes::Routes(ServeData& data, std::string token, std::string actor)
    : m_targets({{"", &data}})
    , m_token(std::move(token))
    , m_actor(std::move(actor)) {}

Routes::Routes(std::string fleet_file, std::vector<RouteTarget> targets, std::string token,
               std::string actor)
    : m_fleet_file(std::move(fleet_file))
    , m_targets(std::move(targets))
    , m_token(std::move(token))
    , m_actor(std::move(actor)) {}

HttpResponse Routes::operator()(const HttpRequest& request) {
    const std::string path = path_of(request.target);
    try {
        if (m_fleet_file.empty()) {
            return database(*m_targets.front().data, request, path);
        }
        if (path.rfind(targets_prefix, 0) == 0) {
            std::string rest;
            const auto name = name_after(path, targets_prefix, &rest);
            const auto target =
                std::find_if(m_targets.begin(), m_targets.end(),
                             [&](const RouteTarget& t) { return name && t.name == *name; });
            if (target != m_targets.end()) {
                return database(*target->data, request, "/" + rest);
            }
        } else if (request.method == "GET" && path == "/") {
            return html(200, fleet_page(m_fleet_file, read_targets()));
        } else if (request.method == "GET" && path == "/metrics") {
            HttpResponse response;
            response.content_type = std::string(metrics_content_type);
            response.body = fleet_metrics_text(read_targets());
            return response;
        } else if (request.method == "GET" && path == "/api/targets") {
            nlohmann::json targets = nlohmann::json::array();
            for (const TargetView& target : read_targets()) {
                nlohmann::json item = {{"name", target.name},
                                       {"reachable", target.reachable},
                                       {"migrations", statuses(target.snapshot)}};
                if (!target.reachable) {
                    item["error"] = target.error;
                }
                targets.push_back(std::move(item));
            }
            return json_response(200, {{"fleet", m_fleet_file}, {"targets", targets}});
        }
        return html(404, not_found_page("such target or page"));
    } catch (const DatabaseError& e) {
        log::warn("serve.database_error", {{"path", path}, {"error", e.what()}});
        return json_error(503, "the state store could not be read: " + std::string(e.what()),
                          "the server keeps trying; see its log");
    }
}

std::vector<TargetView> Routes::read_targets() {
    std::vector<TargetView> out;
    for (const RouteTarget& target : m_targets) {
        TargetView view;
        view.name = target.name;
        try {
            view.snapshot = target.data->overview();
            view.reachable = true;
        } catch (const DatabaseError& e) {
            view.error = e.what();
        }
        view.snapshot.base = std::string(targets_prefix) + target.name;
        out.push_back(std::move(view));
    }
    return out;
}

HttpResponse Routes::database(ServeData& data, const HttpRequest& request,
                              const std::string& path) {
    if (request.method == "GET") {
        return get(data, path);
    }
    if (request.method == "POST" && path.rfind(migrations_api, 0) == 0) {
        std::string command;
        const auto name = name_after(path, migrations_api, &command);
        if (name && (command == "pause" || command == "resume" || command == "tune")) {
            return control(data, request, *name, command);
        }
    }
    if (request.method == "POST") {
        return json_error(404, "no such control",
                          "POST /api/migrations/NAME/pause, /resume or /tune");
    }
    HttpResponse response = json_error(405, "method not allowed");
    response.headers.emplace_back("Allow", "GET, POST");
    return response;
}

HttpResponse Routes::get(ServeData& data, const std::string& path) {
    if (path == "/") {
        return html(200, index_page(data.overview()));
    }
    if (path == "/metrics") {
        HttpResponse response;
        response.content_type = std::string(metrics_content_type);
        response.body = metrics_text(data.overview());
        return response;
    }
    if (path == "/api/migrations") {
        return json_response(200, statuses(data.overview()));
    }
    if (path.rfind(migrations_page, 0) == 0) {
        const auto name = name_after(path, migrations_page, nullptr);
        if (name) {
            const Snapshot snapshot = data.migration(*name);
            if (!snapshot.migrations.empty()) {
                return html(200, migration_page(snapshot, snapshot.migrations.front()));
            }
        }
        return html(404, not_found_page(name ? "migration \"" + *name + "\"" : "that page"));
    }
    if (path.rfind(migrations_api, 0) == 0) {
        std::string rest;
        const auto name = name_after(path, migrations_api, &rest);
        if (name && rest.empty()) {
            const Snapshot snapshot = data.migration(*name);
            if (!snapshot.migrations.empty()) {
                return json_response(200, statuses(snapshot));
            }
        } else if (name && rest == "history") {
            if (auto history = data.history(*name)) {
                return json_response(200, *history);
            }
        } else {
            return json_error(404, "no such resource");
        }
        return json_error(404, "no migration named \"" + *name + "\"",
                          "GET /api/migrations lists them");
    }
    return html(404, not_found_page("that page"));
}

HttpResponse Routes::control(ServeData& data, const HttpRequest& request, const std::string& name,
                             const std::string& command) {
    const std::string bearer = "Bearer ";
    if (request.authorization.rfind(bearer, 0) != 0 ||
        !same_secret(request.authorization.substr(bearer.size()), m_token)) {
        log::warn("serve.unauthorized",
                  {{"client", request.remote}, {"migration", name}, {"command", command}});
        HttpResponse response = json_error(401, "a control needs Authorization: Bearer <token>",
                                           "the token is in --token-file, or was printed when "
                                           "pgphase serve started");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    }
    Controls tuning;
    try {
        if (command == "tune") {
            const nlohmann::json body = request.body.empty() ? nlohmann::json::object()
                                                             : nlohmann::json::parse(request.body);
            if (!body.is_object()) {
                return json_error(400, "the body must be a JSON object");
            }
            for (const auto& [key, value] : body.items()) {
                if (key != "max_rows_per_second" && key != "max_batch_size" &&
                    key != "target_batch_time") {
                    return json_error(400, "unknown field \"" + key + "\"",
                                      "max_rows_per_second, max_batch_size, target_batch_time");
                }
            }
            const auto batch_time = body.find("target_batch_time");
            if (batch_time != body.end() && !batch_time->is_null() && !batch_time->is_string()) {
                return json_error(400, "target_batch_time must be a duration such as \"200ms\"");
            }
            tuning = tuning_from(
                integer_field(body, "max_rows_per_second"), integer_field(body, "max_batch_size"),
                batch_time == body.end() || batch_time->is_null() ? std::string()
                                                                  : batch_time->get<std::string>());
        }
        if (!data.control(name, command, tuning, m_actor + " via serve from " + request.remote)) {
            return json_error(404, "no migration named \"" + name + "\"",
                              "GET /api/migrations lists them");
        }
    } catch (const nlohmann::json::exception& e) {
        return json_error(400, std::string("the body is not JSON: ") + e.what());
    } catch (const CommandError& e) {
        return json_error(400, e.what(), e.hint());
    }
    log::info("serve.control",
              {{"client", request.remote}, {"migration", name}, {"command", command}});
    return json_response(200, {{"migration", name},
                               {"command", command},
                               {"recorded", true},
                               {"note", "a running backfill applies it within a second"}});
}

} // namespace pgphase::orchestrator::serve
