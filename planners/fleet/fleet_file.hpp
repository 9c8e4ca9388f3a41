// A fleet file: the databases a command runs on, in which waves, and how many at once.
//
//   targets:                      # in order; name unique, 1-63 characters
//     - {name: shard-01, dsn: "${SHARD_01_URL}"}   # ${VAR} from the environment
//     - {name: shard-02, dsn: "postgresql://app@10.0.0.12/app"}
//   waves: [[shard-01], rest]     # optional; default: the first target, then the rest
//   parallel: 4                   # targets at once within a wave (default 4)
//
// Every problem is reported at its file:line:column before any database is touched. A DSN is
// never part of a message: it may hold a password. Pure: the environment is passed in.
#pragma once

#include "planners/model/diagnostic.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners::fleet {

struct Target {
    std::string name;
    std::string dsn; // ${VAR} expanded
    SourceMark mark; // of its entry
};

struct Fleet {
    std::vector<Target> targets; // in file order
    // Indexes into `targets`; every target is in exactly one wave. Run in order: a wave starts
    // once the one before finished with no failure.
    std::vector<std::vector<std::size_t>> waves;
    int parallel = default_parallel;
    std::string source_file;

    static constexpr int default_parallel = 4;
    static constexpr int max_parallel = 256;
};

struct FleetLoad {
    std::optional<Fleet> fleet; // set when there was no error
    Diagnostics diagnostics;
};

// The value of an environment variable, or nullopt when it is not set.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

FleetLoad load_fleet_text(const std::string& text, const std::string& file_name,
                          const Environment& environment);
FleetLoad load_fleet_file(const std::string& path, const Environment& environment);

// A target name: 1 to 63 characters from A-Z, a-z, 0-9, `_`, `-` and `.`, not starting with
// `-` or `.`. Names go into logs, status tables and JSON keys as they are.
bool valid_target_name(const std::string& name);

} // namespace pgphase::planners::fleet
