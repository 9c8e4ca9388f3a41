// Plans CREATE INDEX as CREATE INDEX CONCURRENTLY outside a transaction: writes continue while
// it builds. A failed build leaves an INVALID index; the step names it so the engine drops and
// rebuilds it on resume. Pure.
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

namespace pgphase::planners {

void plan_create_index(OpContext& context, const CreateIndex& op) {
    check_not_replaced_earlier(context, op.table, op.columns);
    if (op.where) {
        check_not_replaced_earlier(context, op.table, op.where->column_refs);
    }
    if (CatalogTable* table = context.find_table(op.table)) {
        for (const auto& column : op.columns) {
            context.find_column(*table, column, "indexed");
        }
        if (op.where) {
            for (const auto& column : op.where->column_refs) {
                context.find_column(*table, column, "read by where");
            }
        }
        if (context.catalog->relation(context.plan.schema, op.name) != nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "relation \"" + context.plan.schema + "\".\"" + op.name +
                                          "\" already exists",
                                      "index names share their schema's namespace with tables "
                                      "and other indexes; choose another name");
        }
        context.catalog->relations.push_back({context.plan.schema, op.name, 'i'});
    }

    const QualifiedName table = context.table_name(op.table);
    const QualifiedName index{context.plan.schema, op.name};
    std::string columns;
    for (const auto& column : op.columns) {
        columns += columns.empty() ? "" : ", ";
        columns += quote_ident(column);
    }
    std::string statement = std::string("CREATE ") + (op.unique ? "UNIQUE " : "") +
                            "INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(op.name) + " ON " +
                            table.sql() + " USING " + op.method + " (" + columns + ")";
    if (op.where) {
        statement += " WHERE (" + op.where->sql + ")";
    }

    Step& step = context.add_step(Phase::expand, op.table,
                                  std::string("build ") + (op.unique ? "unique " : "") + "index " +
                                      op.name + " on " + op.table + " concurrently");
    step.lock = LockLevel::share_update_exclusive;
    step.transactional = false;
    step.sql.push_back(statement);
    step.concurrent_index = ConcurrentIndex{index};
    step.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + index.sql());
    step.undo_transactional = false;
}

} // namespace pgphase::planners
