// What lint reports: one finding per rule hit, located, with the lock/rewrite facts and the
// safe alternative; the options of a run; and its result. Pure data.
#pragma once

#include "planners/lint/rule.hpp"
#include "planners/model/diagnostic.hpp"

#include <deque>
#include <set>
#include <string>
#include <vector>

namespace pgphase::planners::lint {

// The texts a rule repeats in each of its findings (id, lock, effect, hint) are Interned: a file
// of forty thousand findings holds them once.
struct Finding {
    Interned rule;
    Level level = Level::error;
    SourceMark mark;
    int end_line = 0; // last line of the statement; 0 = the finding is one line
    std::string message;
    std::string excerpt; // the statement, shortened
    Interned lock;
    Interned effect;
    Interned hint;
};

// A deque, not a vector: a big file's findings never exist twice while the container grows.
using Findings = std::deque<Finding>;

struct LintOptions {
    std::set<std::string> disabled; // rule ids
    // Every file runs as one multi-statement query, hence in one transaction, as
    // `prisma migrate deploy` does; files named migration.sql are treated so regardless.
    bool prisma = false;
    // Replay earlier files into the schema model (off: each file against an empty model).
    bool replay = true;
};

struct LintResult {
    Findings findings;
    std::vector<std::string> input_errors; // unreadable paths, empty directories
    std::size_t files = 0;
    std::size_t statements = 0;

    std::size_t count(Level level) const;
    bool has_syntax_errors() const;
};

} // namespace pgphase::planners::lint
