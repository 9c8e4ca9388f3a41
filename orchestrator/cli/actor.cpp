// Who runs a command, for the event log and `pgphase history`: an explicit --actor, else
// $PGPHASE_ACTOR, else the CI job (GitHub Actions, GitLab CI), else user@host.
#include "orchestrator/cli/common.hpp"

#include <array>
#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace pgphase::orchestrator::cli {

std::string resolve_actor(const std::string& option,
                          const std::function<std::string(const char*)>& env,
                          const std::string& user_at_host) {
    if (!option.empty()) {
        return option;
    }
    if (std::string value = env("PGPHASE_ACTOR"); !value.empty()) {
        return value;
    }
    // A CI job: who triggered it (GitHub names them) and the job's id, as key=value so a
    // reader can find the run again.
    std::string ci;
    for (const char* name : {"GITHUB_ACTOR", "GITHUB_RUN_ID", "CI_JOB_ID"}) {
        if (std::string value = env(name); !value.empty()) {
            ci += (ci.empty() ? "" : " ") + std::string(name) + "=" + value;
        }
    }
    if (!ci.empty()) {
        return ci;
    }
    return user_at_host;
}

std::string actor(const Common& common) {
    auto env = [](const char* name) -> std::string {
        const char* value = std::getenv(name); // NOLINT(concurrency-mt-unsafe): no threads yet
        return value == nullptr ? std::string() : std::string(value);
    };
    std::string user = env("USER");
    if (user.empty()) {
        user = env("LOGNAME");
    }
    if (user.empty()) {
        const passwd* entry = ::getpwuid(::getuid()); // NOLINT(concurrency-mt-unsafe): no threads
        user = entry != nullptr ? std::string(entry->pw_name) : "uid " + std::to_string(::getuid());
    }
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') {
        user += "@" + std::string(host.data());
    }
    return resolve_actor(common.actor, env, user);
}

} // namespace pgphase::orchestrator::cli
