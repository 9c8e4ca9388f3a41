// Writes the undo plan of a completed migration: see reverse_plan.hpp. Pure.
#include "planners/undo/reverse_plan.hpp"

#include "planners/convert/yaml_text.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

using convert::yaml_list;
using convert::yaml_scalar;

// One change of the undo plan, written as YAML under `changes:`.
class Entry {
public:
    explicit Entry(const std::string& operation) { m_text = "  - " + operation + ":\n"; }

    Entry& field(const std::string& key, const std::string& value) {
        m_text += "      " + key + ": " + yaml_scalar(value) + "\n";
        return *this;
    }
    Entry& list(const std::string& key, const std::vector<std::string>& values) {
        m_text += "      " + key + ": " + yaml_list(values) + "\n";
        return *this;
    }
    Entry& tombstone(const std::string& key, const Tombstone& kept) {
        m_text += "      " + key + ":\n";
        m_text += "        name: " + yaml_scalar(kept.name) + "\n";
        if (!kept.schema.empty()) {
            m_text += "        schema: " + yaml_scalar(kept.schema) + "\n";
        }
        if (!kept.marker.empty()) {
            m_text += "        marker: " + yaml_scalar(kept.marker) + "\n";
        }
        if (!kept.relaxed.empty()) {
            m_text += "        relaxed:\n";
            for (const auto& object : kept.relaxed) {
                m_text += "          - kind: " + yaml_scalar(object.kind) + "\n";
                m_text += "            name: " + yaml_scalar(object.name) + "\n";
                m_text += "            definition: " + yaml_scalar(object.definition) + "\n";
            }
        }
        return *this;
    }
    const std::string& text() const { return m_text; }

private:
    std::string m_text;
};

// The original plan's settings mapping, re-emitted under `settings:` ("" when it has none).
std::string settings_yaml(const Plan& original) {
    YAML::Node root;
    try {
        root = YAML::Load(original.source_text);
    } catch (const YAML::Exception&) {
        return {};
    }
    if (!root.IsMap() || !root["settings"] || !root["settings"].IsMap()) {
        return {};
    }
    YAML::Emitter out;
    out << root["settings"];
    std::string text = "settings:\n";
    std::istringstream lines(out.c_str());
    for (std::string line; std::getline(lines, line);) {
        text += "  " + line + "\n";
    }
    return text;
}

// The rename of something in a table, back: from its new name to its old one.
template <typename Rename> Entry rename_back(const std::string& operation, const Rename& op) {
    return Entry(operation).field("table", op.table).field("from", op.to).field("to", op.from);
}

// drop_constraint for a change that added the constraint, of one of the types `Adds`.
template <typename... Adds> std::optional<Entry> drop_added_constraint(const Operation& operation) {
    std::optional<Entry> out;
    const auto drop = [&](const auto* op) {
        if (op != nullptr) {
            out = Entry("drop_constraint").field("table", op->table).field("name", op->name);
        }
    };
    (drop(std::get_if<Adds>(&operation)), ...);
    return out;
}

struct Reverser {
    const Plan& original;
    const std::vector<Step>& steps;
    const std::vector<KeptTombstone>& tombstones;
    const Catalog& catalog;
    int number = 0; // of the change being reversed (1-based)
    std::vector<std::string> refusals;

    void refuse(const std::string& what, const std::string& why) {
        refusals.push_back("change " + std::to_string(number) + " (" + what + "): " + why);
    }

    // The change's tombstone of `name`, or nullopt after a refusal saying why there is none.
    std::optional<KeptTombstone> kept(const std::string& kind, const std::string& name,
                                      const std::string& what) {
        for (const auto& tombstone : tombstones) {
            if (tombstone.change == number && tombstone.kind == kind && tombstone.name == name) {
                if (!tombstone.purged_at.empty()) {
                    refuse(what, "its tombstone " + tombstone.tombstone.name + " was purged at " +
                                     tombstone.purged_at + "; the data it held is gone");
                    return std::nullopt;
                }
                return tombstone;
            }
        }
        refuse(what, "contract dropped it without keeping a tombstone (keep_dropped: 0, or a "
                     "type of its own); the data it held is gone");
        return std::nullopt;
    }

    bool had_contract() const {
        return std::any_of(steps.begin(), steps.end(), [&](const Step& step) {
            return step.change_index == number - 1 && step.phase == Phase::contract;
        });
    }

    std::optional<Entry> reverse(const Operation& operation) {
        const std::string name = operation_name(operation);
        if (const auto* op = std::get_if<RenameColumn>(&operation)) {
            return rename_back("rename_column", *op);
        }
        if (const auto* op = std::get_if<AddColumn>(&operation)) {
            Entry entry("drop_column");
            entry.field("table", op->table).field("column", op->column.name);
            if (op->up) {
                entry.field("down", op->up->sql); // what old-version writes got
            }
            return entry;
        }
        if (const auto* op = std::get_if<CreateIndex>(&operation)) {
            return Entry("drop_index").field("name", op->name);
        }
        if (auto entry = drop_added_constraint<AddCheck, AddForeignKey, AddUnique, AddPrimaryKey>(
                operation)) {
            return entry;
        }
        if (const auto* op = std::get_if<RenameConstraint>(&operation)) {
            return rename_back("rename_constraint", *op);
        }
        if (const auto* op = std::get_if<RenameTable>(&operation)) {
            return Entry("rename_table").field("from", op->to).field("to", op->from);
        }
        if (const auto* op = std::get_if<CreateTable>(&operation)) {
            return Entry("drop_table").field("table", op->table);
        }
        if (const auto* op = std::get_if<SetNotNull>(&operation)) {
            return Entry("drop_not_null").field("table", op->table).field("column", op->column);
        }
        if (const auto* op = std::get_if<DropNotNull>(&operation)) {
            return Entry("set_not_null").field("table", op->table).field("column", op->column);
        }
        if (const auto* op = std::get_if<ChangeType>(&operation)) {
            return reverse_change_type(*op);
        }
        if (const auto* op = std::get_if<DropColumn>(&operation)) {
            const std::string what = "drop_column " + op->table + "." + op->column;
            auto found = kept("column", op->column, what);
            if (!found) {
                return std::nullopt;
            }
            if (!op->down && found->rows_written > 0) {
                refuse(what, std::to_string(found->rows_written) +
                                 " rows were written since contract and the change has no "
                                 "\"down\" to compute their value: their kept value is stale");
                return std::nullopt;
            }
            Entry entry("restore_column");
            entry.field("table", op->table).field("column", op->column);
            entry.tombstone("tombstone", found->tombstone);
            if (op->down) {
                entry.field("down", op->down->sql);
            }
            return entry;
        }
        if (const auto* op = std::get_if<DropTable>(&operation)) {
            auto found = kept("table", op->table, "drop_table " + op->table);
            if (!found) {
                return std::nullopt;
            }
            Entry entry("restore_table");
            entry.field("table", op->table).tombstone("tombstone", found->tombstone);
            return entry;
        }
        refuse(name, "pgphase does not know how to undo " + name +
                         ": what it replaced or removed is not recorded");
        return std::nullopt;
    }

    std::optional<Entry> reverse_change_type(const ChangeType& op) {
        const std::string what = "change_type " + op.table + "." + op.column;
        if (!had_contract()) {
            refuse(what, "the type was changed in place (binary compatible), and the old type "
                         "is not recorded; write a change_type back to it");
            return std::nullopt;
        }
        auto found = kept("column", op.column, what);
        if (!found) {
            return std::nullopt;
        }
        const CatalogTable* table = catalog.table(original.schema, op.table);
        const CatalogColumn* old_column =
            table == nullptr ? nullptr : table->column(found->tombstone.name);
        if (old_column == nullptr) {
            refuse(what, "its tombstone " + found->tombstone.name + " is not in table " +
                             original.schema + "." + op.table);
            return std::nullopt;
        }
        Entry entry("change_type");
        entry.field("table", op.table).field("column", op.column).field("type", old_column->type);
        if (op.down) {
            entry.field("up", op.down->sql);
        }
        if (op.up) {
            entry.field("down", op.up->sql);
        }
        entry.tombstone("restore", found->tombstone);
        return entry;
    }
};

} // namespace

std::string undo_name(const std::string& migration) {
    if (migration.size() + 5 <= 48) {
        return migration + "_undo";
    }
    return migration.substr(0, 34) + "_" + fnv1a_hex(migration).substr(0, 8) + "_undo";
}

ReversePlan reverse_plan(const Plan& original, const std::vector<Step>& steps,
                         const std::vector<KeptTombstone>& tombstones, const Catalog& catalog) {
    ReversePlan out;
    out.name = undo_name(original.name);
    Reverser reverser{original, steps, tombstones, catalog, 0, {}};
    std::string changes;
    for (std::size_t i = original.changes.size(); i-- > 0;) {
        reverser.number = static_cast<int>(i) + 1;
        if (auto entry = reverser.reverse(original.changes[i].operation)) {
            changes += "  # undoes change " + std::to_string(i + 1) + ": " +
                       operation_name(original.changes[i].operation) + "\n";
            changes += entry->text();
        }
    }
    out.refusals = std::move(reverser.refusals);
    std::reverse(out.refusals.begin(), out.refusals.end()); // in plan order
    if (!out.refusals.empty()) {
        return out;
    }
    out.yaml = "# Written by pgphase undo: migration " + original.name +
               " run backwards (docs/undo.md).\n" + "name: " + out.name + "\n" +
               "schema: " + yaml_scalar(original.schema) + "\n" + settings_yaml(original) +
               "changes:\n" + changes;
    return out;
}

} // namespace pgphase::planners
