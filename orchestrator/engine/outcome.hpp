// How a command ends, as the documented exit codes: 0 done, 1 failed, 2 bad input, 3 refused
// by a guard, 4 gave up waiting for a lock, 130 interrupted after a clean checkpoint.
#pragma once

#include <stdexcept>
#include <string>

namespace pgphase::orchestrator {

enum class ExitCode : int {
    ok = 0,
    failed = 1,
    bad_input = 2,
    refused = 3,
    lock_gave_up = 4,
    interrupted = 130,
};

// Thrown where a command must stop; carries its exit code and a hint for what to do next.
class CommandError : public std::runtime_error {
public:
    CommandError(ExitCode code, const std::string& message, std::string hint = {})
        : std::runtime_error(message)
        , m_code(code)
        , m_hint(std::move(hint)) {}

    ExitCode code() const { return m_code; }
    const std::string& hint() const { return m_hint; }

private:
    ExitCode m_code;
    std::string m_hint;
};

// Another pgphase holds the migration's advisory lock: refused (exit 3). A fleet run skips the
// target and names the holder.
class MigrationHeld : public CommandError {
public:
    MigrationHeld(const std::string& message, std::string hint, std::string holder)
        : CommandError(ExitCode::refused, message, std::move(hint))
        , m_holder(std::move(holder)) {}

    const std::string& holder() const { return m_holder; }

private:
    std::string m_holder;
};

// A fleet run asked this target to stop (another target failed): it stopped between two steps,
// or after a backfill batch with its checkpoint saved. Rerunning continues from there.
class Stopped : public CommandError {
public:
    explicit Stopped(const std::string& message, std::string hint = {})
        : CommandError(ExitCode::interrupted, message, std::move(hint)) {}
};

} // namespace pgphase::orchestrator
