// Located, compiler-style diagnostics for plans and SQL. Collected, never thrown, so one run
// reports every problem. Wording follows PostgreSQL's message style guide.
#pragma once

#include "planners/model/interned.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

struct SourceMark {
    Interned file;  // one pooled copy of a path, however many marks name it
    int line = 0;   // 1-based; 0 = unknown
    int column = 0; // 1-based; 0 = unknown
};

enum class Severity { error, warning, note };

struct Diagnostic {
    Severity severity = Severity::error;
    SourceMark mark;
    std::string message;
    std::string hint; // empty = none
};

// "file:line:col: error: message" then "file:line:col: hint: ..." on its own line.
std::string format(const Diagnostic& diagnostic);

class Diagnostics {
public:
    void error(SourceMark mark, std::string message, std::string hint = {});
    void warning(SourceMark mark, std::string message, std::string hint = {});
    void note(SourceMark mark, std::string message, std::string hint = {});

    bool has_errors() const;
    const std::vector<Diagnostic>& all() const { return m_items; }
    std::string to_string() const;

private:
    std::vector<Diagnostic> m_items;
};

} // namespace pgphase::planners
