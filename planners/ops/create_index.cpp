// Plans CREATE INDEX as CREATE INDEX CONCURRENTLY outside a transaction: writes continue while
// it builds. A failed build leaves an INVALID index; the step names it so the engine drops and
// rebuilds it on resume. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

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

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_create_index(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "create_index",
                     {"table", "name", "columns", "unique", "method", "where"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto name = reader.identifier("name", true);
    std::vector<std::string> columns;
    bool columns_ok = true;
    if (YAML::Node list = reader.require("columns"); list.IsDefined()) {
        if (!list.IsSequence() || list.size() == 0) {
            loader.error(list, "\"columns\" must be a non-empty list of column names");
            columns_ok = false;
        } else {
            for (const auto& item : list) {
                if (!item.IsScalar()) {
                    loader.error(item, "each entry of \"columns\" must be a column name");
                    columns_ok = false;
                    continue;
                }
                if (auto problem = identifier_problem(item.Scalar())) {
                    loader.error(item, "bad identifier in \"columns\": " + *problem);
                    columns_ok = false;
                    continue;
                }
                if (std::find(columns.begin(), columns.end(), item.Scalar()) != columns.end()) {
                    loader.error(item, "column \"" + item.Scalar() + "\" is listed twice");
                    columns_ok = false;
                    continue;
                }
                columns.push_back(item.Scalar());
            }
        }
    } else {
        columns_ok = false;
    }
    auto unique = reader.boolean("unique");
    auto method = reader.string("method", false);
    if (method) {
        static const std::vector<std::string> methods = {"btree", "hash",   "gist",
                                                         "gin",   "spgist", "brin"};
        if (std::find(methods.begin(), methods.end(), *method) == methods.end()) {
            loader.error(reader.get("method"), "unknown index method \"" + *method + "\"",
                         did_you_mean(*method, methods));
            method.reset();
            columns_ok = false;
        }
    }
    auto where = reader.expression("where", false);
    reader.finish();
    if (!table || !name || !columns_ok) {
        return std::nullopt;
    }
    CreateIndex index{*table, *name, columns, unique.value_or(false), method.value_or("btree"),
                      where};
    return index;
}

std::string canonical_create_index(const CreateIndex& op) {
    std::string out = "create_index " + quote_ident(op.table) + " " + quote_ident(op.name) +
                      (op.unique ? " unique " : " ") + op.method;
    for (const auto& column : op.columns) {
        out += " " + quote_ident(column);
    }
    out += " where=" + (op.where ? quote_literal(op.where->sql) : std::string("-"));
    return out;
}

} // namespace

extern constinit const OperationUnit create_index_unit =
    operation_unit<CreateIndex, load_create_index, plan_create_index, canonical_create_index,
                   claim_relation<CreateIndex, &CreateIndex::name, RelationKind::index>>(
        "create_index");

} // namespace pgphase::planners
