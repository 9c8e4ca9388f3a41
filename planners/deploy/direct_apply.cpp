// Classifies a migration file for deploy's one-transaction apply. Pure.
#include "planners/deploy/direct_apply.hpp"

#include "planners/lint/sql_tree.hpp"

namespace pgphase::planners::deploy {

namespace {

using json = nlohmann::json;

std::string transaction_kind(const lint::Statement& statement) {
    if (statement.kind != "TransactionStmt") {
        return {};
    }
    return statement.tree().at("TransactionStmt").value("kind", "");
}

std::string where(const lint::Statement& statement) {
    return "line " + std::to_string(statement.mark.line);
}

} // namespace

bool runs_outside_transaction(const lint::Statement& statement) {
    const std::string& kind = statement.kind;
    if (kind.empty()) {
        return false;
    }
    const json tree = statement.tree();
    const json& body = tree.at(kind);
    if (kind == "IndexStmt" || kind == "DropStmt") {
        return body.value("concurrent", false);
    }
    if (kind == "ReindexStmt") {
        return lint::reindex_is_concurrent(body) || body.value("concurrent", false);
    }
    if (kind == "AlterTableStmt") {
        // ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY
        for (const json& command : body.value("cmds", json::array())) {
            const json& cmd = command.value("AlterTableCmd", json::object());
            const json& def = cmd.value("def", json::object());
            if (def.contains("PartitionCmd") && def["PartitionCmd"].value("concurrent", false)) {
                return true;
            }
        }
        return false;
    }
    return kind == "VacuumStmt" || kind == "CreatedbStmt" || kind == "DropdbStmt" ||
           kind == "AlterSystemStmt" || kind == "CreateTableSpaceStmt" ||
           kind == "DropTableSpaceStmt" || kind == "CreateSubscriptionStmt" ||
           kind == "DropSubscriptionStmt" || kind == "AlterSubscriptionStmt";
}

DirectApply direct_apply(const lint::SourceFile& file) {
    DirectApply out;
    const auto& statements = file.statements();
    if (!file.text_errors().empty()) {
        out.reason = "it holds bytes PostgreSQL rejects (" + file.text_errors().front().message +
                     ", line " + std::to_string(file.text_errors().front().mark.line) + ")";
        return out;
    }
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const lint::Statement& statement = statements[i];
        if (statement.kind.empty()) {
            out.reason = "the statement at " + where(statement) + " does not parse";
            return out;
        }
        if (runs_outside_transaction(statement)) {
            out.reason =
                "the statement at " + where(statement) + " cannot run inside a transaction block";
            return out;
        }
        const std::string control = transaction_kind(statement);
        if (control.empty()) {
            out.statements.push_back(&statement);
            continue;
        }
        // One BEGIN first and one COMMIT last only say what deploy does anyway.
        const bool opening = i == 0 && lint::opens_transaction(control);
        const bool closing = i + 1 == statements.size() && i > 0 &&
                             lint::opens_transaction(transaction_kind(statements[0])) &&
                             (control == "TRANS_STMT_COMMIT");
        if (!opening && !closing) {
            out.statements.clear();
            out.reason =
                "it controls its own transactions (the statement at " + where(statement) + ")";
            return out;
        }
    }
    if (!statements.empty() && lint::opens_transaction(transaction_kind(statements[0])) &&
        (statements.size() == 1 || transaction_kind(statements.back()) != "TRANS_STMT_COMMIT")) {
        out.statements.clear();
        out.reason = "its BEGIN at " + where(statements[0]) + " has no COMMIT at the end";
        return out;
    }
    out.possible = true;
    return out;
}

} // namespace pgphase::planners::deploy
