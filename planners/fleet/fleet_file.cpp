// Reads a fleet file with the plan loader's machinery (positions, unknown keys, did-you-mean),
// expands ${VAR} in DSNs and resolves the waves. Pure.
#include "planners/fleet/fleet_file.hpp"

#include "planners/load/reader.hpp"
#include "planners/model/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners::fleet {

namespace {

bool name_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

// `text` with each ${NAME} replaced by the environment's value; nullopt after reporting a
// variable that is not set or a `${` left open. The DSN itself is never quoted.
std::optional<std::string> expand(Loader& loader, const YAML::Node& node, const std::string& text,
                                  const std::string& target, const Environment& environment) {
    std::string out;
    std::size_t at = 0;
    bool ok = true;
    while (at < text.size()) {
        const std::size_t dollar = text.find("${", at);
        if (dollar == std::string::npos) {
            out.append(text, at, std::string::npos);
            break;
        }
        out.append(text, at, dollar - at);
        const std::size_t close = text.find('}', dollar + 2);
        if (close == std::string::npos) {
            loader.error(node, "the dsn of target \"" + target + R"(" has a "${" with no "}")",
                         "write ${NAME} for the environment variable NAME");
            return std::nullopt;
        }
        const std::string name = text.substr(dollar + 2, close - dollar - 2);
        const bool valid = !name.empty() &&
                           std::isdigit(static_cast<unsigned char>(name.front())) == 0 &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
                           });
        if (!valid) {
            loader.error(node,
                         "the dsn of target \"" + target + "\" names a bad environment variable",
                         "write ${NAME}, NAME made of letters, digits and _");
            ok = false;
        } else if (const std::optional<std::string> value = environment(name)) {
            out += *value;
        } else {
            loader.error(node,
                         "environment variable " + name + " (in the dsn of target \"" + target +
                             "\") is not set",
                         "export " + name +
                             " before running pgphase, or write the connection string in the "
                             "fleet file");
            ok = false;
        }
        at = close + 1;
    }
    if (!ok) {
        return std::nullopt;
    }
    return out;
}

std::optional<Target> load_target(Loader& loader, const YAML::Node& node,
                                  const Environment& environment) {
    MapReader reader(loader, node, "target", {"name", "dsn"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    const auto name = reader.string("name", true);
    const auto dsn = reader.string("dsn", true);
    reader.finish();
    if (!name || !dsn) {
        return std::nullopt;
    }
    if (!valid_target_name(*name)) {
        loader.error(reader.get("name"), "bad target name \"" + *name + "\"",
                     "use 1 to 63 characters from A-Z, a-z, 0-9, _, - and ., not starting "
                     "with - or .");
        return std::nullopt;
    }
    auto expanded = expand(loader, reader.get("dsn"), *dsn, *name, environment);
    if (!expanded) {
        return std::nullopt;
    }
    if (expanded->empty()) {
        loader.error(reader.get("dsn"), "the dsn of target \"" + *name + "\" is empty",
                     "give a connection string: postgresql://user@host/db or "
                     "\"host=... dbname=...\"");
        return std::nullopt;
    }
    return Target{*name, std::move(*expanded), loader.mark(node)};
}

// The waves as written, resolved to target indexes; `rest` is every target no other wave names.
std::optional<std::vector<std::vector<std::size_t>>>
load_waves(Loader& loader, const YAML::Node& node, const std::vector<Target>& targets) {
    if (!node.IsSequence() || node.size() == 0) {
        loader.error(node, "\"waves\" must be a list of waves",
                     "e.g. waves: [[shard-01], rest]: each wave a list of target names, or rest");
        return std::nullopt;
    }
    std::map<std::string, std::size_t> index;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        index.emplace(targets[i].name, i);
        names.push_back(targets[i].name);
    }
    std::map<std::size_t, SourceMark> placed; // target -> where a wave names it
    std::vector<std::vector<std::size_t>> waves;
    std::optional<std::size_t> rest; // index of the `rest` wave
    bool ok = true;
    for (const YAML::Node& wave : node) {
        if (wave.IsScalar() && wave.Scalar() == "rest") {
            if (rest) {
                loader.error(wave, R"("rest" appears twice in "waves")");
                ok = false;
            }
            rest = waves.size();
            waves.emplace_back();
            continue;
        }
        if (!wave.IsSequence() || wave.size() == 0) {
            loader.error(wave, "a wave must be a non-empty list of target names, or rest",
                         "e.g. waves: [[shard-01], [shard-02, shard-03], rest]");
            ok = false;
            continue;
        }
        std::vector<std::size_t> members;
        for (const YAML::Node& member : wave) {
            const std::string name = member.IsScalar() ? member.Scalar() : std::string();
            const auto found = index.find(name);
            if (found == index.end()) {
                loader.error(member, "no target named \"" + name + "\" in this fleet",
                             did_you_mean(name, names));
                ok = false;
                continue;
            }
            const auto [earlier, first] = placed.emplace(found->second, loader.mark(member));
            if (!first) {
                loader.error(member, "target \"" + name + "\" is in two waves",
                             "it is named at line " + std::to_string(earlier->second.line) +
                                 " too; a target runs in one wave");
                ok = false;
                continue;
            }
            members.push_back(found->second);
        }
        waves.push_back(std::move(members));
    }
    if (!ok) {
        return std::nullopt;
    }
    std::vector<std::string> unplaced;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (placed.count(i) == 0) {
            if (rest) {
                waves[*rest].push_back(i);
            } else {
                unplaced.push_back(targets[i].name);
            }
        }
    }
    if (!unplaced.empty()) {
        std::string list;
        for (const std::string& name : unplaced) {
            list += (list.empty() ? "" : ", ") + name;
        }
        loader.error(node, "targets in no wave: " + list,
                     "add them to a wave, or end \"waves\" with rest");
        return std::nullopt;
    }
    // A `rest` that nothing is left for is no wave.
    waves.erase(std::remove_if(waves.begin(), waves.end(),
                               [](const std::vector<std::size_t>& wave) { return wave.empty(); }),
                waves.end());
    return waves;
}

} // namespace

bool valid_target_name(const std::string& name) {
    return !name.empty() && name.size() <= 63 && name.front() != '-' && name.front() != '.' &&
           std::all_of(name.begin(), name.end(), name_character);
}

FleetLoad load_fleet_text(const std::string& text, const std::string& file_name,
                          const Environment& environment) {
    FleetLoad result;
    Loader loader(file_name, result.diagnostics);
    const std::optional<YAML::Node> document =
        loader.parse_mapping(text, "a fleet file must be a mapping with \"targets\"",
                             "targets: [{name: shard-01, dsn: \"${SHARD_01_URL}\"}, ...]");
    if (!document) {
        return result;
    }
    const YAML::Node& root = *document;
    Fleet fleet;
    fleet.source_file = file_name;
    MapReader reader(loader, root, "fleet file", {"targets", "waves", "parallel"});
    const YAML::Node targets = reader.require("targets");
    if (targets.IsDefined()) {
        if (!targets.IsSequence()) {
            loader.error(targets, "\"targets\" must be a list of {name, dsn}");
        } else if (targets.size() == 0) {
            loader.error(targets, "\"targets\" is empty", "list at least one database");
        }
    }
    std::map<std::string, SourceMark> seen;
    if (targets.IsSequence()) {
        for (const YAML::Node& node : targets) {
            std::optional<Target> target = load_target(loader, node, environment);
            if (!target) {
                continue;
            }
            const auto [earlier, first] = seen.emplace(target->name, target->mark);
            if (!first) {
                loader.error(node, "duplicate target name \"" + target->name + "\"",
                             "the first is at line " + std::to_string(earlier->second.line) +
                                 "; names must be unique");
                continue;
            }
            fleet.targets.push_back(std::move(*target));
        }
    }
    if (auto parallel = reader.integer("parallel", 1)) {
        if (*parallel > Fleet::max_parallel) {
            loader.error(reader.get("parallel"),
                         "\"parallel\" must be at most " + std::to_string(Fleet::max_parallel));
        } else {
            fleet.parallel = static_cast<int>(*parallel);
        }
    }
    const YAML::Node waves = reader.get("waves");
    reader.finish();
    if (result.diagnostics.has_errors()) {
        return result;
    }
    if (waves.IsDefined()) {
        auto resolved = load_waves(loader, waves, fleet.targets);
        if (!resolved) {
            return result;
        }
        fleet.waves = std::move(*resolved);
    } else {
        // A canary: the first target alone, then the rest.
        fleet.waves.push_back({0});
        if (fleet.targets.size() > 1) {
            fleet.waves.emplace_back();
            for (std::size_t i = 1; i < fleet.targets.size(); ++i) {
                fleet.waves.back().push_back(i);
            }
        }
    }
    result.fleet = std::move(fleet);
    return result;
}

FleetLoad load_fleet_file(const std::string& path, const Environment& environment) {
    std::ifstream in(path);
    if (!in) {
        FleetLoad result;
        result.diagnostics.error({path, 0, 0}, "cannot read fleet file \"" + path + "\"",
                                 "give the path of a YAML file with \"targets\"");
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_fleet_text(text.str(), path, environment);
}

} // namespace pgphase::planners::fleet
