// Re-aims a plan's later changes at the old name of a table an earlier change renames, and
// orders the renames last in contract. Pure.
#include "planners/plan/table_renames.hpp"

#include "planners/ops/table_constraints.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <variant>

namespace pgphase::planners {

namespace {

struct Renamed {
    std::string old_name;
    std::size_t change = 0; // index of the rename_table change
};

// Where a change names a table, as references the rename may re-aim.
class TableNames {
public:
    explicit TableNames(const std::map<std::string, Renamed>& renamed)
        : m_renamed(renamed) {}

    void reaim(std::string& table) const {
        if (const auto it = m_renamed.find(table); it != m_renamed.end()) {
            table = it->second.old_name;
        }
    }

    void reaim(std::optional<ForeignKeyReference>& reference) const {
        if (reference) {
            reaim(reference->table);
        }
    }

    // Every table the operation names, but a table it creates.
    void reaim(Operation& operation) const {
        std::visit(
            [&](auto& op) {
                using Op = std::decay_t<decltype(op)>;
                if constexpr (std::is_same_v<Op, CreateTable>) {
                    for (ColumnDefinition& column : op.columns) {
                        reaim(column.references);
                    }
                    for (TableForeignKey& key : op.foreign_keys) {
                        reaim(key.references.table);
                    }
                } else if constexpr (requires { op.table; }) {
                    reaim(op.table);
                }
                if constexpr (std::is_same_v<Op, AddColumn>) {
                    reaim(op.column.references);
                }
                if constexpr (std::is_same_v<Op, AddForeignKey>) {
                    reaim(op.references_table);
                }
            },
            operation);
    }

private:
    const std::map<std::string, Renamed>& m_renamed;
};

std::string change_label(std::size_t index, const Change& change) {
    return "change " + std::to_string(index + 1) + " (" + operation_name(change.operation) + ")";
}

} // namespace

std::optional<Plan> with_renamed_tables_by_old_name(const Plan& plan, Diagnostics& diagnostics) {
    const bool renames = std::any_of(plan.changes.begin(), plan.changes.end(), [](const Change& c) {
        return std::holds_alternative<RenameTable>(c.operation);
    });
    if (!renames) {
        return std::nullopt;
    }
    Plan out = plan;
    std::map<std::string, Renamed> renamed;   // new name -> old name
    std::map<std::string, Renamed> old_names; // old name -> new name (in old_name)
    const TableNames names(renamed);
    for (std::size_t i = 0; i < out.changes.size(); ++i) {
        Change& change = out.changes[i];
        const std::string table = table_of(change.operation);
        if (auto* rename = std::get_if<RenameTable>(&change.operation)) {
            if (renamed.count(rename->from) != 0) {
                // A second rename of the same table: re-aimed, its own planning refuses it
                // ("already renamed by an earlier change").
                names.reaim(rename->from);
                continue;
            }
            renamed[rename->to] = {rename->from, i};
            old_names[rename->from] = {rename->to, i};
            continue;
        }
        if (const auto old = old_names.find(table);
            old != old_names.end() && !std::holds_alternative<CreateTable>(change.operation)) {
            diagnostics.error(change.mark,
                              change_label(i, change) + " works on table \"" + table +
                                  "\", which change " + std::to_string(old->second.change + 1) +
                                  " renames to \"" + old->second.old_name + "\"",
                              "name it \"" + old->second.old_name +
                                  "\": after the rename, later changes see the table by its new "
                                  "name (pgphase runs them on the old one until contract)");
            continue;
        }
        if (const auto now = renamed.find(table); now != renamed.end()) {
            const std::string by = "change " + std::to_string(now->second.change + 1);
            if (std::holds_alternative<RawSql>(change.operation)) {
                diagnostics.error(change.mark,
                                  change_label(i, change) + " names table \"" + table +
                                      "\", which " + by + " renames from \"" +
                                      now->second.old_name +
                                      "\": until contract the table has its old name, and "
                                      "pgphase cannot re-aim raw SQL at it",
                                  "run the sql change in a later migration, once this one is "
                                  "complete, or write it against \"" +
                                      now->second.old_name + "\" before the rename_table");
                continue;
            }
            if (std::holds_alternative<DropTable>(change.operation)) {
                diagnostics.error(change.mark,
                                  change_label(i, change) + " drops table \"" + table +
                                      "\", which " + by + " renames",
                                  "drop \"" + now->second.old_name + "\" instead of renaming it");
                continue;
            }
        }
        names.reaim(change.operation);
    }
    return out;
}

void rename_tables_last(const Plan& plan, std::vector<Step>& steps) {
    const auto is_rename = [&](const Step& step) {
        return step.phase == Phase::contract && step.change_index >= 0 &&
               static_cast<std::size_t>(step.change_index) < plan.changes.size() &&
               std::holds_alternative<RenameTable>(
                   plan.changes[static_cast<std::size_t>(step.change_index)].operation);
    };
    const auto contract = std::find_if(
        steps.begin(), steps.end(), [](const Step& step) { return step.phase == Phase::contract; });
    const auto end = std::find_if(contract, steps.end(),
                                  [](const Step& step) { return step.phase != Phase::contract; });
    std::stable_partition(contract, end, [&](const Step& step) { return !is_rename(step); });
}

} // namespace pgphase::planners
