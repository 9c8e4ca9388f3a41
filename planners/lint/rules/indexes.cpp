// create-index-non-concurrent, drop-index-non-concurrent, reindex-non-concurrent and
// concurrently-in-transaction. CONCURRENTLY fails inside a transaction block whatever the
// table, so that rule ignores the created-in-this-file exemption. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

namespace {

void report_in_transaction(CheckContext& context, const std::string& what) {
    if (!context.in_transaction()) {
        return;
    }
    const std::string where =
        context.facts().explicit_transaction
            ? "inside BEGIN ... COMMIT"
            : "in a Prisma migration with other statements (Prisma runs the whole file as one "
              "transaction)";
    context.report("concurrently-in-transaction",
                   what + " cannot run inside a transaction block, and this one runs " + where);
}

} // namespace

void check_indexes(CheckContext& context) {
    const std::string& kind = context.kind();
    const json& body = context.body();
    if (kind == "IndexStmt") {
        const TableName table = table_from_range_var(body.value("relation", json::object()));
        const std::string name = string_field(body, "idxname");
        const std::string index = name.empty() ? "an index" : "index " + quote_name(name);
        if (body.value("concurrent", false)) {
            report_in_transaction(context, "CREATE INDEX CONCURRENTLY");
        } else if (!context.created_here(table)) {
            context.report("create-index-non-concurrent",
                           "creating " + index + " on " + table.display() +
                               " blocks writes to the table while the index is built");
        }
    } else if (kind == "DropStmt" && string_field(body, "removeType") == "OBJECT_INDEX") {
        if (body.value("concurrent", false)) {
            report_in_transaction(context, "DROP INDEX CONCURRENTLY");
            return;
        }
        for (const json& object : body.value("objects", json::array())) {
            const auto names = string_list(object);
            if (names.empty()) {
                continue;
            }
            const auto table = context.schema().index_table(names.back());
            if (table && context.created_here(*table)) {
                continue;
            }
            context.report("drop-index-non-concurrent",
                           "dropping index " + quote_name(names.back()) +
                               " takes ACCESS EXCLUSIVE on its table: every query on it waits "
                               "until the drop is done");
        }
    } else if (kind == "ReindexStmt") {
        const std::string relation =
            string_field(body.value("relation", json::object()), "relname");
        const std::string what =
            relation.empty() ? "REINDEX" : "REINDEX of " + quote_name(relation);
        if (reindex_is_concurrent(body)) {
            report_in_transaction(context, "REINDEX CONCURRENTLY");
        } else {
            context.report("reindex-non-concurrent",
                           what + " blocks writes to the table and reads that use the index "
                                  "while it rebuilds");
        }
    }
}

} // namespace pgphase::planners::lint
