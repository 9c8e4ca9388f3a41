// Refuses changes to a column that an earlier change of the same plan renames, retypes, drops
// (or, for the changes that rebuild a column, touches at all), naming that change. Pure.
#include "planners/ops/earlier_changes.hpp"

#include <algorithm>
#include <set>
#include <variant>

namespace pgphase::planners {

namespace {

bool uses(const std::vector<std::string>& columns, const std::string& column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

std::string column_label(const std::string& table, const std::string& column) {
    return "\"" + table + "\".\"" + column + "\"";
}

std::string already_changed(const std::string& table, const std::string& column,
                            const Change& earlier) {
    return "column " + column_label(table, column) + " is already changed by " +
           operation_name(earlier.operation) + " at " + earlier.mark.file + ":" +
           std::to_string(earlier.mark.line) + " in this plan";
}

// Whether `column` of `table` is hidden from the new version in the working catalog, as an
// earlier change that replaces it leaves it; true without a catalog (nothing to tell by).
bool hidden(const OpContext& context, const std::string& table, const std::string& column) {
    if (context.catalog == nullptr) {
        return true;
    }
    for (const auto& candidate : context.catalog->tables) {
        if (candidate.schema == context.plan.schema && candidate.name == table) {
            return uses(candidate.new_version.hidden_columns, column);
        }
    }
    return true;
}

// Why a later change of `column` would be lost when `earlier` replaces it at contract, and what
// to do instead; empty when `earlier` does not replace it.
std::string replaced_by(const OpContext& context, const Operation& earlier,
                        const std::string& table, const std::string& column) {
    const std::string lost = ", and what this change adds to it goes with it";
    const std::string later = "; run this change as a separate migration once that one is "
                              "complete";
    if (const auto* rename = std::get_if<RenameColumn>(&earlier)) {
        if (rename->table == table && rename->from == column) {
            return "contract drops the old column once \"" + rename->to + "\" has taken its place" +
                   lost + later;
        }
    } else if (const auto* change = std::get_if<ChangeType>(&earlier)) {
        // A binary-compatible change is made in place and keeps the column.
        if (change->table == table && change->column == column && hidden(context, table, column)) {
            return "contract drops the old column once a column of type " + change->type.sql +
                   " has taken its place" + lost + later;
        }
    } else if (const auto* drop = std::get_if<DropColumn>(&earlier)) {
        if (drop->table == table && drop->column == column) {
            return "contract drops the column" + lost + "; remove this change";
        }
    }
    return {};
}

// Calls `visit` with each change before the current one that names `table`, in plan order,
// until it returns true; returns whether it did.
template <typename Visit>
bool find_earlier(const OpContext& context, const std::string& table, Visit visit) {
    const auto earlier = [&](int i) -> const Change& {
        return context.plan.changes[static_cast<std::size_t>(i)];
    };
    if (context.changes_by_table == nullptr) {
        for (int i = 0; i < context.change_index; ++i) {
            if (visit(earlier(i))) {
                return true;
            }
        }
        return false;
    }
    for (const int i : context.changes_by_table->on(table)) {
        if (i >= context.change_index) {
            break;
        }
        if (visit(earlier(i))) {
            return true;
        }
    }
    return false;
}

} // namespace

ChangesByTable::ChangesByTable(const Plan& plan) {
    for (std::size_t i = 0; i < plan.changes.size(); ++i) {
        const int index = static_cast<int>(i);
        std::visit(
            [&](const auto& op) {
                if constexpr (requires { std::string(op.table); }) {
                    m_changes[op.table].push_back(index);
                }
                if constexpr (requires { std::string(op.references_table); }) {
                    if (op.references_table != op.table) {
                        m_changes[op.references_table].push_back(index);
                    }
                }
            },
            plan.changes[i].operation);
    }
}

const std::vector<int>& ChangesByTable::on(const std::string& table) const {
    static const std::vector<int> none;
    const auto found = m_changes.find(table);
    return found == m_changes.end() ? none : found->second;
}

bool check_not_replaced_earlier(OpContext& context, const std::string& table,
                                const std::vector<std::string>& columns) {
    bool ok = true;
    std::set<std::string> reported;
    for (const auto& column : columns) {
        if (!reported.insert(column).second) {
            continue;
        }
        find_earlier(context, table, [&](const Change& earlier) {
            const std::string hint = replaced_by(context, earlier.operation, table, column);
            if (hint.empty()) {
                return false;
            }
            context.diagnostics.error(context.change.mark, already_changed(table, column, earlier),
                                      hint);
            ok = false;
            return true;
        });
    }
    return ok;
}

bool check_not_changed_earlier(OpContext& context, const std::string& table,
                               const std::string& column) {
    const bool changed = find_earlier(context, table, [&](const Change& earlier) {
        bool touches = false;
        if (const auto* rename = std::get_if<RenameColumn>(&earlier.operation)) {
            touches = rename->table == table && (rename->from == column || rename->to == column);
        } else if (const auto* change = std::get_if<ChangeType>(&earlier.operation)) {
            touches = change->table == table && change->column == column;
        } else if (const auto* drop = std::get_if<DropColumn>(&earlier.operation)) {
            touches = drop->table == table && drop->column == column;
        } else if (const auto* add = std::get_if<AddColumn>(&earlier.operation)) {
            touches = add->table == table && add->column.name == column;
        } else if (const auto* set = std::get_if<SetNotNull>(&earlier.operation)) {
            touches = set->table == table && set->column == column;
        } else if (const auto* drop_nn = std::get_if<DropNotNull>(&earlier.operation)) {
            touches = drop_nn->table == table && drop_nn->column == column;
        } else if (const auto* set_default = std::get_if<SetDefault>(&earlier.operation)) {
            touches = set_default->table == table && set_default->column == column;
        } else if (const auto* drop_default = std::get_if<DropDefault>(&earlier.operation)) {
            touches = drop_default->table == table && drop_default->column == column;
        } else if (const auto* check = std::get_if<AddCheck>(&earlier.operation)) {
            touches = check->table == table && uses(check->check.column_refs, column);
        } else if (const auto* unique = std::get_if<AddUnique>(&earlier.operation)) {
            touches = unique->table == table && uses(unique->columns, column);
        } else if (const auto* key = std::get_if<AddPrimaryKey>(&earlier.operation)) {
            touches = key->table == table && uses(key->columns, column);
        } else if (const auto* fk = std::get_if<AddForeignKey>(&earlier.operation)) {
            touches = (fk->table == table && uses(fk->columns, column)) ||
                      (fk->references_table == table && uses(fk->references_columns, column));
        } else if (const auto* backfill = std::get_if<BackfillData>(&earlier.operation)) {
            touches =
                backfill->table == table &&
                std::any_of(backfill->set.begin(), backfill->set.end(),
                            [&](const auto& assignment) { return assignment.first == column; });
        } else if (const auto* index = std::get_if<CreateIndex>(&earlier.operation)) {
            if (index->table == table &&
                (uses(index->columns, column) ||
                 (index->where && uses(index->where->column_refs, column)))) {
                context.diagnostics.error(
                    context.change.mark,
                    "column " + column_label(table, column) + " is used by index \"" + index->name +
                        "\", which create_index at " + earlier.mark.file + ":" +
                        std::to_string(earlier.mark.line) +
                        " builds in this plan; contract would drop it with the old column",
                    "create the index in a later migration, once this one is complete");
                return true;
            }
        }
        if (touches) {
            context.diagnostics.error(
                context.change.mark, already_changed(table, column, earlier),
                "two changes of one column cannot run in one migration (the old and the new app "
                "version could not both keep working); run them as two migrations, the second "
                "after the first is complete, or fold them into one change");
        }
        return touches;
    });
    return !changed;
}

} // namespace pgphase::planners
