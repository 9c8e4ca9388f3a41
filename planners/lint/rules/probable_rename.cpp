// probable-rename: Prisma turns a renamed field into DROP COLUMN + ADD COLUMN of the same
// type on the same table, which silently loses the column's data. Collects both per table
// while the file is read, pairs them at its end. Pure.
#include "planners/lint/rules/checks.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace pgphase::planners::lint {

namespace {

void collect_column_refs(const json& node, std::set<std::string>& out) {
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if (key == "ColumnRef") {
                const auto fields = string_list(value.value("fields", json::array()));
                if (!fields.empty()) {
                    out.insert(fields.back());
                }
            } else {
                collect_column_refs(value, out);
            }
        }
    } else if (node.is_array()) {
        for (const json& item : node) {
            collect_column_refs(item, out);
        }
    }
}

// UPDATE t SET new = f(old): remembers that `old`'s data went into `new`.
void record_copies(CheckContext& context) {
    const json& body = context.body();
    const TableName table = table_from_range_var(body.value("relation", json::object()));
    for (const json& item : body.value("targetList", json::array())) {
        const json& target = item.value("ResTarget", json::object());
        std::set<std::string> sources;
        collect_column_refs(target.value("val", json()), sources);
        for (const std::string& source : sources) {
            context.facts().copied_columns.insert(table.key() + "/" + string_field(target, "name") +
                                                  "/" + source);
        }
    }
}

} // namespace

void check_probable_rename(CheckContext& context) {
    if (context.kind() == "UpdateStmt") {
        record_copies(context);
        return;
    }
    const auto table = altered_table(context);
    if (!table || context.created_here(*table)) {
        return;
    }
    FileFacts& facts = context.facts();
    for (const json& cmd : alter_commands(context)) {
        const std::string subtype = string_field(cmd, "subtype");
        if (subtype == "AT_DropColumn") {
            const std::string column = string_field(cmd, "name");
            ColumnEvent event{*table, column, std::nullopt, context.index()};
            if (const ColumnType* type = context.schema().column_type(*table, column)) {
                event.type = *type;
            }
            facts.dropped_columns.push_back(std::move(event));
        } else if (subtype == "AT_AddColumn") {
            const json& column = cmd.at("def").at("ColumnDef");
            facts.added_columns.push_back({*table, string_field(column, "colname"),
                                           column_type(column.value("typeName", json::object())),
                                           context.index()});
        }
    }
}

void finish_probable_rename(CheckContext& context) {
    const FileFacts& facts = context.facts();
    std::map<std::string, std::vector<const ColumnEvent*>> added; // table key -> unpaired
    for (const ColumnEvent& event : facts.added_columns) {
        added[event.table.key()].push_back(&event);
    }
    for (const ColumnEvent& dropped : facts.dropped_columns) {
        auto& candidates = added[dropped.table.key()];
        const std::string from = dropped.table.display() + "." + quote_name(dropped.column);
        // Dropping a column and adding one of the same name is a recreation, not a rename
        // (drop-column reports the data loss).
        // Nor is a column whose data an UPDATE copied into the new one first.
        candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                        [&](const ColumnEvent* added_column) {
                                            return added_column->column == dropped.column ||
                                                   facts.copied_columns.count(
                                                       dropped.table.key() + "/" +
                                                       added_column->column + "/" +
                                                       dropped.column) != 0;
                                        }),
                         candidates.end());
        if (dropped.type) {
            for (auto it = candidates.begin(); it != candidates.end(); ++it) {
                if ((*it)->type && *(*it)->type == *dropped.type) {
                    context.report_at(
                        dropped.statement, "probable-rename",
                        "dropping " + from + " and adding " + quote_name((*it)->column) +
                            " of the same type (" + dropped.type->display() +
                            ") looks like a rename: the data of " + from + " is lost");
                    candidates.erase(it);
                    break;
                }
            }
            continue;
        }
        const auto similar = std::find_if(
            candidates.begin(), candidates.end(), [&](const ColumnEvent* added_column) {
                return similar_names(dropped.column, added_column->column);
            });
        if (similar != candidates.end()) {
            CheckContext::Details details;
            details.level = Level::warning;
            context.report_at(dropped.statement, "probable-rename",
                              "dropping " + from + " and adding " + quote_name((*similar)->column) +
                                  " (" + (*similar)->type->display() +
                                  ") may be a rename (assumed from the names: the dropped "
                                  "column's type is unknown, since no earlier migration linted "
                                  "with it creates it): if so, the data of " +
                                  from + " is lost",
                              details);
            candidates.erase(similar);
        }
    }
}

} // namespace pgphase::planners::lint
