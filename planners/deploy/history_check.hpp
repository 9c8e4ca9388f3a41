// Which migrations of a folder the database's history says are applied, which are pending, and
// what in that history makes deploying unsafe: an applied file that changed, an applied
// migration missing from the folder, a pending one ordered before an applied one, a failed
// Prisma attempt. Pure: the caller reads the history and computes the checksums.
#pragma once

#include "planners/deploy/folder.hpp"

#include <functional>
#include <string>
#include <vector>

namespace pgphase::planners::deploy {

// One row of the history: `_prisma_migrations`, or pgphase's own for a plain folder.
struct HistoryRow {
    std::string name;
    std::string checksum;
    std::string id;
    bool finished = true;     // Prisma: finished_at IS NOT NULL
    bool rolled_back = false; // Prisma: rolled_back_at IS NOT NULL (the row does not count)
};

enum class HistoryProblemKind { modified, missing, out_of_order, failed };

struct HistoryProblem {
    HistoryProblemKind kind = HistoryProblemKind::modified;
    std::string name;
    std::string message;
    std::string hint;
};

struct HistoryCheckResult {
    std::vector<std::size_t> applied; // indexes into the folder's migrations
    std::vector<std::size_t> pending; // the same, in the order deploy runs them
    std::vector<HistoryProblem> problems;
    // 2 for a changed, missing or out-of-order migration; 3 for failed attempts alone; 0: none.
    int exit_code() const;
};

// `matches(stored, migration_index)`: whether a stored checksum is one accepted for that
// migration's file. `history` names the table in messages.
HistoryCheckResult
check_history(const MigrationFolder& folder, const std::vector<HistoryRow>& rows,
              const std::function<bool(const std::string&, std::size_t)>& matches,
              const std::string& history);

const char* problem_name(HistoryProblemKind kind); // "modified", "missing", ...

} // namespace pgphase::planners::deploy
