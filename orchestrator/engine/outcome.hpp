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

} // namespace pgphase::orchestrator
