// Plans COMMENT ON a table or a column. During expand the new app version sees the comment on
// its version schema's view (the view is created with it), while the base table keeps the one
// the old version knows; contract puts it on the base table, where it is final. A comment of
// null removes it (at contract; the view then shows none). COMMENT ON takes SHARE UPDATE
// EXCLUSIVE on the table: reads and writes go on. Rollback drops the version schema, and the
// view's comment with it; the base table was not touched. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/rename_column.hpp"
#include "planners/sql/quote.hpp"

#include <string>
#include <variant>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// Updates how the new version's view shows the comment; false after reporting a problem.
bool check_against_catalog(OpContext& context, const SetComment& op) {
    CatalogTable* found = context.find_table(op.table);
    if (found == nullptr) {
        return context.catalog == nullptr;
    }
    if (found->new_version.dropped) {
        context.diagnostics.error(context.change.mark,
                                  "table \"" + op.table + "\" is dropped by an earlier change",
                                  "remove this change: its comment would go with the table");
        return false;
    }
    CatalogTable::NewVersion& shown = found->new_version;
    if (!op.column) {
        shown.comment = op.comment;
        return true;
    }
    if (context.find_column(*found, *op.column, "set comment") == nullptr) {
        return false;
    }
    if (op.comment) {
        shown.column_comments[*op.column] = *op.comment;
    } else {
        shown.column_comments.erase(*op.column);
    }
    return true;
}

// A later change_type of the column, or a rename_column that copies it, rebuilds it (contract
// drops the column the comment is on, and the view hides it), so the comment would be lost
// without a word. A rename in the catalog keeps the column, and the comment with it.
void refuse_rebuilt_later(OpContext& context, const std::string& table, const std::string& column) {
    for (std::size_t i = static_cast<std::size_t>(context.change_index) + 1;
         i < context.plan.changes.size(); ++i) {
        const Operation& later = context.plan.changes[i].operation;
        const auto* rename = std::get_if<RenameColumn>(&later);
        const auto* retype = std::get_if<ChangeType>(&later);
        if ((rename != nullptr && rename->table == table && rename->from == column &&
             !rename_copy_reason(context.plan, i).empty()) ||
            (retype != nullptr && retype->table == table && retype->column == column)) {
            const SourceMark& mark = context.plan.changes[i].mark;
            context.diagnostics.error(
                context.change.mark,
                "column \"" + table + "\".\"" + column + "\" is rebuilt by " +
                    operation_name(later) + " at " + mark.file + ":" + std::to_string(mark.line) +
                    " later in this plan, and its comment would be lost",
                "put the set_comment after that change (on the column's new name), or in a later "
                "migration");
        }
    }
}

} // namespace

void plan_set_comment(OpContext& context, const SetComment& op) {
    if (op.column && !check_not_replaced_earlier(context, op.table, {*op.column})) {
        return;
    }
    if (op.column) {
        refuse_rebuilt_later(context, op.table, *op.column);
    }
    check_against_catalog(context, op);
    const QualifiedName table = context.table_name(op.table);
    const std::string target = op.column ? "COLUMN " + table.sql() + "." + quote_ident(*op.column)
                                         : "TABLE " + table.sql();
    const std::string what = op.column ? op.table + "." + *op.column : "table " + op.table;
    Step& step =
        context.add_step(Phase::contract, op.table,
                         (op.comment ? "set the comment of " : "remove the comment of ") + what);
    step.lock = LockLevel::share_update_exclusive;
    step.sql.push_back("COMMENT ON " + target + " IS " +
                       (op.comment ? quote_literal(*op.comment) : "NULL"));
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_set_comment(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "set_comment", {"table", "column", "comment"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto column = reader.identifier("column", false);
    bool comment_ok = true;
    std::optional<std::string> comment;
    const YAML::Node value = reader.require("comment");
    if (!value.IsDefined()) {
        comment_ok = false;
    } else if (value.IsScalar()) {
        comment = value.Scalar();
    } else if (!value.IsNull()) {
        loader.error(value, "\"comment\" in set_comment must be a string or null",
                     "null removes the comment");
        comment_ok = false;
    }
    reader.finish();
    if (!table || !comment_ok || (reader.get("column").IsDefined() && !column)) {
        return std::nullopt;
    }
    return SetComment{*table, column, comment};
}

std::string canonical_set_comment(const SetComment& op) {
    return "set_comment " + quote_ident(op.table) + " " +
           (op.column ? quote_ident(*op.column) : "-") + " " +
           (op.comment ? quote_literal(*op.comment) : "NULL");
}

} // namespace

extern constinit const OperationUnit set_comment_unit =
    operation_unit<SetComment, load_set_comment, plan_set_comment, canonical_set_comment>(
        "set_comment");

} // namespace pgphase::planners
