// add-foreign-key-validates, add-check-validates, add-unique-constraint and
// validate-in-same-transaction. NOT VALID makes ADD CONSTRAINT a catalog change; VALIDATE
// then scans under SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes, but only
// if the transaction that added the constraint (and holds its lock) has committed. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

namespace {

std::string constraint_label(const json& constraint) {
    const std::string name = string_field(constraint, "conname");
    return name.empty() ? std::string() : " " + quote_name(name);
}

// `column`: the constraint is written inline on a column that ADD COLUMN adds ("" otherwise).
void check_added(CheckContext& context, const TableName& table, const json& constraint,
                 const std::string& column = {}) {
    const std::string contype = string_field(constraint, "contype");
    const bool not_valid = constraint.value("skip_validation", false);
    const std::string label = constraint_label(constraint);
    if (not_valid && context.in_transaction() && !string_field(constraint, "conname").empty()) {
        context.facts().not_valid_in_transaction.insert(table.key() + "/" +
                                                        string_field(constraint, "conname"));
    }
    if (context.created_here(table)) {
        return;
    }
    if (contype == "CONSTR_FOREIGN" && !not_valid) {
        const TableName referenced =
            table_from_range_var(constraint.value("pktable", json::object()));
        if (column.empty()) {
            context.report("add-foreign-key-validates",
                           "adding foreign key" + label + " on " + table.display() + " scans " +
                               table.display() + " to validate it, blocking writes to it and to " +
                               referenced.display());
        } else {
            // ADD COLUMN takes ACCESS EXCLUSIVE on the table it adds to: reads wait too.
            CheckContext::Details details;
            details.lock = "ACCESS EXCLUSIVE on " + table.display() + " (ADD COLUMN), SHARE ROW " +
                           "EXCLUSIVE on " + referenced.display();
            details.hint = "add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN "
                           "KEY ... NOT VALID and VALIDATE CONSTRAINT in a separate transaction";
            context.report("add-foreign-key-validates",
                           "adding column " + quote_name(column) + " with a foreign key" + label +
                               " to " + table.display() + " scans " + table.display() +
                               " to validate it under ACCESS EXCLUSIVE, blocking reads and "
                               "writes of it, and writes to " +
                               referenced.display(),
                           details);
        }
    } else if (contype == "CONSTR_CHECK" && !not_valid) {
        context.report("add-check-validates", "adding check" + label + " on " + table.display() +
                                                  " scans " + table.display() +
                                                  " under ACCESS EXCLUSIVE to validate it");
    } else if ((contype == "CONSTR_UNIQUE" || contype == "CONSTR_PRIMARY") &&
               string_field(constraint, "indexname").empty()) {
        CheckContext::Details details;
        if (contype == "CONSTR_PRIMARY") {
            // USING INDEX alone still leaves a scan: a primary key makes its columns NOT NULL.
            details.hint = "make the key columns NOT NULL without a scan first (CHECK (col IS NOT "
                           "NULL) NOT VALID, VALIDATE CONSTRAINT, SET NOT NULL), then CREATE "
                           "UNIQUE INDEX CONCURRENTLY and ADD CONSTRAINT ... PRIMARY KEY USING "
                           "INDEX (pgphase add_primary_key)";
        }
        const std::string what = contype == "CONSTR_UNIQUE" ? "unique constraint" : "primary key";
        context.report("add-unique-constraint",
                       "adding " + what + label + " on " + table.display() +
                           " builds its index under ACCESS EXCLUSIVE, blocking reads and writes" +
                           (contype == "CONSTR_PRIMARY"
                                ? std::string(", and scans the table for NULLs in nullable key "
                                              "columns")
                                : std::string()),
                       details);
    } else if (contype == "CONSTR_EXCLUSION") {
        context.report("add-unique-constraint",
                       "adding exclusion constraint" + label + " on " + table.display() +
                           " builds its index under ACCESS EXCLUSIVE, blocking reads and writes",
                       {std::nullopt, "",
                        "there is no USING INDEX form for EXCLUDE: add it "
                        "while the table is small, or in a maintenance window"});
    }
}

} // namespace

void check_constraints(CheckContext& context) {
    const auto table = altered_table(context);
    if (!table) {
        return;
    }
    for (const json& cmd : alter_commands(context)) {
        const std::string subtype = string_field(cmd, "subtype");
        if (subtype == "AT_AddConstraint") {
            check_added(context, *table, cmd.at("def").value("Constraint", json::object()));
        } else if (subtype == "AT_AddColumn") {
            // Inline REFERENCES/CHECK/UNIQUE on a new column validate or index like ADD
            // CONSTRAINT does.
            const json& column = cmd.at("def").at("ColumnDef");
            for (const json& item : column.value("constraints", json::array())) {
                const json& constraint = item.value("Constraint", json::object());
                const std::string contype = string_field(constraint, "contype");
                if (contype == "CONSTR_FOREIGN" || contype == "CONSTR_CHECK" ||
                    contype == "CONSTR_UNIQUE" || contype == "CONSTR_PRIMARY" ||
                    contype == "CONSTR_EXCLUSION") {
                    check_added(context, *table, constraint, string_field(column, "colname"));
                }
            }
        } else if (subtype == "AT_ValidateConstraint") {
            const std::string name = string_field(cmd, "name");
            if (context.facts().not_valid_in_transaction.count(table->key() + "/" + name) != 0 &&
                !context.created_here(*table)) {
                context.report("validate-in-same-transaction",
                               "validating " + quote_name(name) +
                                   " in the transaction that "
                                   "added it NOT VALID scans " +
                                   table->display() +
                                   " while the ADD CONSTRAINT's lock is still held");
            }
        }
    }
}

} // namespace pgphase::planners::lint
