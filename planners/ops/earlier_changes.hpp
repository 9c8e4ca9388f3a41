// What a change may not do to a column that an earlier change of the same plan already changes.
// Decided from the plan's changes (and the working catalog only where it tells whether a type
// change is made in place), so it holds without a database too. Pure.
#pragma once

#include "planners/ops/op_context.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace pgphase::planners {

// The changes of a plan by the tables they name (`table`, and a foreign key's referenced
// table), in plan order. The checks below look only at the earlier changes on their table, so
// planning stays linear in the number of changes (a plan converted from a big migration has
// tens of thousands). The planner builds one per plan and hands it to every OpContext.
class ChangesByTable {
public:
    explicit ChangesByTable(const Plan& plan);
    // Indexes, ascending, of the changes that name `table`.
    const std::vector<int>& on(const std::string& table) const;

private:
    std::unordered_map<std::string, std::vector<int>> m_changes;
};

// Columns of `table` that an earlier change replaces at contract (rename_column from them,
// change_type of them through a shadow column, drop_column of them) cannot be changed again:
// contract drops the old column, and what this change adds to it (NOT NULL, a default, a
// constraint, an index) goes with it. Reports each, naming the earlier change's file:line, and
// returns false. Reading such a column (an `up`, a backfill) stays allowed: the old column and
// its sync trigger are there until contract.
bool check_not_replaced_earlier(OpContext& context, const std::string& table,
                                const std::vector<std::string>& columns);

// Two changes of one plan on the same column cannot both keep the old and the new app version
// working (their sync triggers would have to run in both orders), and what an earlier change
// adds to a column (NOT NULL, a default, a constraint, an index, backfilled values) would not
// follow it into the column that rename_column or change_type rebuilds, nor survive
// drop_column. For those three: reports the earlier change and returns false.
bool check_not_changed_earlier(OpContext& context, const std::string& table,
                               const std::string& column);

} // namespace pgphase::planners
