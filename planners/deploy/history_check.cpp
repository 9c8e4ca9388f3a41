// Reconciles a migrations folder with the database's history. Every problem is collected, so
// one run names them all; deploy refuses before changing anything when there is one. Pure.
#include "planners/deploy/history_check.hpp"

#include <map>

namespace pgphase::planners::deploy {

int HistoryCheckResult::exit_code() const {
    int code = 0;
    for (const HistoryProblem& problem : problems) {
        if (problem.kind != HistoryProblemKind::failed) {
            code = 2;
        } else if (code == 0) {
            code = 3;
        }
    }
    return code;
}

const char* problem_name(HistoryProblemKind kind) {
    switch (kind) {
    case HistoryProblemKind::modified:
        return "modified";
    case HistoryProblemKind::missing:
        return "missing";
    case HistoryProblemKind::out_of_order:
        return "out_of_order";
    case HistoryProblemKind::failed:
        return "failed";
    }
    return "?";
}

HistoryCheckResult
check_history(const MigrationFolder& folder, const std::vector<HistoryRow>& rows,
              const std::function<bool(const std::string&, std::size_t)>& matches,
              const std::string& history) {
    HistoryCheckResult out;
    std::map<std::string, std::size_t> index_of;
    for (std::size_t i = 0; i < folder.migrations.size(); ++i) {
        index_of[folder.migrations[i].name] = i;
    }
    const bool prisma = folder.kind == FolderKind::prisma;
    // name -> the finished rows' checksums; names with an unresolved failed attempt.
    std::map<std::string, std::vector<const HistoryRow*>> finished;
    std::map<std::string, const HistoryRow*> failed;
    for (const HistoryRow& row : rows) {
        if (row.rolled_back) {
            continue;
        }
        if (row.finished) {
            finished[row.name].push_back(&row);
        } else {
            failed.emplace(row.name, &row);
        }
    }
    for (const auto& [name, row] : failed) {
        if (finished.count(name) != 0) {
            continue; // a later attempt finished: Prisma counts the migration applied
        }
        out.problems.push_back(
            {HistoryProblemKind::failed, name,
             "migration \"" + name + "\" failed in an earlier `prisma migrate deploy` (row " +
                 row->id + " of " + history + " has neither finished_at nor rolled_back_at)",
             "look at what it left behind, then run `npx prisma migrate resolve --rolled-back \"" +
                 name + "\"` to run it again, or `npx prisma migrate resolve --applied \"" + name +
                 "\"` if you finished it by hand; then rerun deploy"});
    }
    std::vector<bool> applied(folder.migrations.size(), false);
    for (const auto& [name, stored] : finished) {
        const auto found = index_of.find(name);
        if (found == index_of.end()) {
            out.problems.push_back(
                {HistoryProblemKind::missing, name,
                 "migration \"" + name + "\" is applied (" + history + ") but missing from " +
                     folder.dir,
                 "restore it to the folder (a deploy from an older checkout, or a branch that "
                 "was not merged?); the database holds its schema"});
            continue;
        }
        applied[found->second] = true;
        bool same = false;
        for (const HistoryRow* row : stored) {
            same = same || matches(row->checksum, found->second);
        }
        if (!same) {
            const FolderMigration& migration = folder.migrations[found->second];
            out.problems.push_back(
                {HistoryProblemKind::modified, name,
                 "migration \"" + name + "\" was applied with checksum " +
                     stored.front()->checksum + " (" + history + "), but " + migration.path +
                     " has changed since",
                 std::string("restore the file as it was applied (git log -p -- ") +
                     migration.path + "), and put further changes in a new migration" +
                     (prisma ? " (prisma migrate status reports it as modified)" : "")});
        }
    }
    std::size_t last_applied = 0;
    bool any_applied = false;
    for (std::size_t i = 0; i < applied.size(); ++i) {
        if (applied[i]) {
            last_applied = i;
            any_applied = true;
            out.applied.push_back(i);
        }
    }
    for (std::size_t i = 0; i < applied.size(); ++i) {
        if (applied[i]) {
            continue;
        }
        if (any_applied && i < last_applied) {
            const std::string& name = folder.migrations[i].name;
            out.problems.push_back(
                {HistoryProblemKind::out_of_order, name,
                 "migration \"" + name + "\" is not applied, but \"" +
                     folder.migrations[last_applied].name +
                     "\", which sorts after it, is: applying it now would run it out of order",
                 "rename it so that it sorts after \"" + folder.migrations[last_applied].name +
                     "\" (a new timestamp), once you have checked it does not depend on the "
                     "order"});
            continue;
        }
        out.pending.push_back(i);
    }
    return out;
}

} // namespace pgphase::planners::deploy
