// Doctor's findings: the words for each check, and its three output formats. Pure.
#include "planners/doctor/finding.hpp"

#include "planners/model/text.hpp"
#include "planners/sql/quote.hpp"

#include <array>
#include <cctype>
#include <sstream>

namespace pgphase::planners::doctor {

namespace {

bool identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

Repair statements(std::vector<std::string> sql, QualifiedName table) {
    return {RepairKind::statements, std::move(sql), std::move(table), {}, 0};
}

// Errors stop a release (an INVALID index slows every write for nothing, a sequence that runs
// out stops inserts); the rest are warnings.
bool is_error(const Finding& finding) {
    return finding.check == "invalid-index" || finding.check == "sequence-near-max";
}

} // namespace

std::string repair_text(const Repair& repair) {
    switch (repair.kind) {
    case RepairKind::none:
        return "";
    case RepairKind::finish_rollback:
        return "finish the rollback of migration " + quote_ident(repair.migration) +
               " (pgphase rollback, with the plan stored when it started)";
    case RepairKind::purge_tombstone:
    case RepairKind::statements:
    case RepairKind::outside_transaction:
        break;
    }
    std::string text;
    for (const auto& statement : repair.sql) {
        text += (text.empty() ? "" : "; ") + statement;
    }
    return text;
}

std::string render_text(const std::vector<Finding>& findings, const std::string& database) {
    std::ostringstream out;
    if (findings.empty()) {
        out << "doctor: " << database << ": nothing found\n";
        return out.str();
    }
    std::size_t fixable = 0;
    for (const Finding& finding : findings) {
        out << (is_error(finding) ? "error" : "warning") << ": [" << finding.check << "] "
            << finding.message << "\n";
        if (!finding.hint.empty()) {
            out << "  hint: " << finding.hint << "\n";
        }
        if (finding.fixable()) {
            out << "  --fix: " << repair_text(finding.repair) << "\n";
            ++fixable;
        }
    }
    out << "doctor: " << database << ": " << findings.size()
        << (findings.size() == 1 ? " finding" : " findings") << ", " << fixable
        << " of them repaired by --fix\n";
    return out.str();
}

nlohmann::json render_json(const std::vector<Finding>& findings, const std::string& database) {
    nlohmann::json list = nlohmann::json::array();
    for (const Finding& finding : findings) {
        nlohmann::json item = {
            {"check", finding.check},   {"severity", is_error(finding) ? "error" : "warning"},
            {"object", finding.object}, {"message", finding.message},
            {"hint", finding.hint},     {"fixable", finding.fixable()}};
        if (finding.fixable()) {
            item["fix"] = repair_text(finding.repair);
        }
        list.push_back(std::move(item));
    }
    return {{"database", database}, {"findings", std::move(list)}};
}

std::string render_github(const std::vector<Finding>& findings) {
    std::string out;
    for (const Finding& finding : findings) {
        out += std::string("::") + (is_error(finding) ? "error" : "warning") +
               " title=" + github_escape_property("pgphase doctor: " + finding.check) + "::" +
               github_escape_data(finding.message + (finding.hint.empty() ? "" : "\n") +
                                  finding.hint) +
               "\n";
    }
    return out;
}

Finding invalid_index(const QualifiedName& index, const std::string& table, std::int64_t bytes) {
    return {"invalid-index",
            "index " + index.sql(),
            "index " + index.sql() + " on " + table +
                " is INVALID: a CREATE INDEX CONCURRENTLY (or REINDEX) failed or was killed; "
                "queries never use it, yet every write keeps it up to date (" +
                size_text(bytes) + ")",
            "drop it without blocking writes, then build it again if it is needed",
            {RepairKind::outside_transaction,
             {"DROP INDEX CONCURRENTLY IF EXISTS " + index.sql()},
             index,
             {},
             0}};
}

Finding unvalidated_constraint(const QualifiedName& table, const std::string& constraint,
                               const std::string& kind) {
    const std::string name = quote_ident(constraint);
    return {"unvalidated-constraint",
            "constraint " + name + " on " + table.sql(),
            kind + " constraint " + name + " on " + table.sql() +
                " is NOT VALID: new rows are checked, the rows before it never were",
            "ALTER TABLE " + table.sql() + " VALIDATE CONSTRAINT " + name +
                " (a full scan under SHARE UPDATE EXCLUSIVE: writes go on); it fails if an old "
                "row breaks it, so look for those rows first",
            {}};
}

Finding orphaned_trigger(const QualifiedName& table, const std::string& trigger) {
    const std::string name = quote_ident(trigger);
    return {"orphaned-trigger", "trigger " + name + " on " + table.sql(),
            "pgphase sync trigger " + name + " on " + table.sql() +
                " belongs to no migration in flight; it still fires on every write",
            "left by a migration the state store lost track of; drop it",
            statements({"DROP TRIGGER IF EXISTS " + name + " ON " + table.sql()}, table)};
}

Finding orphaned_function(const QualifiedName& function, const std::string& arguments) {
    // `arguments` is pg_get_function_identity_arguments(): the catalog's own rendering.
    return {"orphaned-function", "function " + function.sql() + "(" + arguments + ")",
            "pgphase function " + function.sql() + "(" + arguments +
                ") belongs to no migration in flight",
            "left by a migration the state store lost track of; drop it",
            statements({"DROP FUNCTION IF EXISTS " + function.sql() + "(" + arguments + ")"}, {})};
}

Finding orphaned_shadow_column(const QualifiedName& table, const std::string& column) {
    const std::string name = quote_ident(column);
    return {"orphaned-shadow-column", "column " + table.sql() + "." + name,
            "pgphase shadow column " + table.sql() + "." + name +
                " belongs to no migration in flight; it takes space in every row",
            "left by a migration the state store lost track of; drop it (a brief ACCESS "
            "EXCLUSIVE lock, no rewrite)",
            statements({"ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " + name}, table)};
}

Finding expired_tombstone(const ExpiredTombstone& tombstone) {
    Finding out{"expired-tombstone",
                tombstone.object,
                tombstone.object + " (was " + quote_ident(tombstone.was) + ", kept by migration " +
                    quote_ident(tombstone.migration) + ") expired " + tombstone.expired_at +
                    (tombstone.size.empty() ? "" : "; it holds " + tombstone.size),
                "undo can no longer be counted on past keep_dropped; pgphase purge (or the next "
                "pgphase complete) drops it",
                {RepairKind::purge_tombstone, tombstone.sql, tombstone.table, tombstone.migration,
                 tombstone.id}};
    return out;
}

Finding orphaned_version_schema(const std::string& schema, const std::string& migration) {
    const std::string name = quote_ident(schema);
    return {"orphaned-version-schema", "schema " + name,
            "version schema " + name +
                (migration.empty()
                     ? " belongs to no migration in the state store"
                     : " belongs to migration " + quote_ident(migration) + ", rolled back") +
                "; its views pin the columns they show",
            "no app version should use it any more; drop it",
            statements({"DROP SCHEMA IF EXISTS " + name + " CASCADE"}, {})};
}

Finding interrupted_migration(const std::string& migration, const std::string& phase,
                              const std::string& since) {
    const std::string name = quote_ident(migration);
    const std::string command = phase == "expanding"     ? "start"
                                : phase == "contracting" ? "complete"
                                                         : "rollback";
    Finding finding{"interrupted-migration",
                    "migration " + name,
                    "migration " + name + " stopped while " + phase + " (last change " + since +
                        ") and no pgphase is running it: the command failed, was killed or lost "
                        "its connection",
                    "rerun pgphase " + command +
                        " with its plan: it goes on from the last step "
                        "done",
                    {}};
    if (phase == "rolling_back") {
        // Rolling back undoes expand's additions and loses no row written meanwhile; the
        // decision was already taken, so finishing it is safe.
        finding.repair = {RepairKind::finish_rollback, {}, {}, migration, 0};
    }
    return finding;
}

Finding stalled_backfill(const std::string& migration, Stall stall, const std::string& by,
                         const std::string& since) {
    const std::string name = quote_ident(migration);
    Finding finding{"stalled-backfill", "migration " + name, "", "", {}};
    switch (stall) {
    case Stall::paused:
        finding.message = "the backfill of migration " + name + " has been paused since " + since +
                          (by.empty() ? "" : " (by " + by + ")");
        finding.hint = "pgphase resume " + migration + " when the database can take it again";
        break;
    case Stall::stopped:
        finding.message = "the backfill of migration " + name + " stopped part way at " + since +
                          " and no pgphase is running it";
        finding.hint = "rerun pgphase backfill with its plan: it resumes from its checkpoint";
        break;
    case Stall::stuck:
        finding.message = "the backfill of migration " + name + " has made no progress since " +
                          since + ", although a pgphase is running it";
        finding.hint = "see what that session waits for (pg_stat_activity.wait_event); "
                       "pgphase status " +
                       migration + " shows its last reason";
        break;
    }
    return finding;
}

std::optional<Finding> sequence_near_max(const SequenceFill& fill, double threshold) {
    if (fill.max_value <= 0 || fill.last_value <= 0) {
        return std::nullopt;
    }
    const double used = static_cast<double>(fill.last_value) / static_cast<double>(fill.max_value);
    if (used <= threshold) {
        return std::nullopt;
    }
    std::ostringstream percent;
    percent.precision(1);
    percent << std::fixed << used * 100;
    const std::string of = fill.owner.empty() ? "" : " (of " + fill.owner + ")";
    return Finding{"sequence-near-max",
                   "sequence " + fill.sequence.sql(),
                   "sequence " + fill.sequence.sql() + of + " has used " + percent.str() +
                       "% of its " + fill.type + " range: " + std::to_string(fill.last_value) +
                       " of " + std::to_string(fill.max_value),
                   fill.owner.empty()
                       ? "move it to bigint (ALTER SEQUENCE ... AS bigint) before it runs out"
                       : "change " + fill.owner +
                             " to bigint with a pgphase change_type "
                             "migration now: on a big table it takes days",
                   {}};
}

bool in_use(const std::vector<std::string>& in_flight_steps, const std::string& name) {
    for (const std::string& text : in_flight_steps) {
        for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
            const bool starts = at == 0 || !identifier_char(text[at - 1]);
            const bool ends =
                at + name.size() == text.size() || !identifier_char(text[at + name.size()]);
            if (starts && ends) {
                return true;
            }
        }
    }
    return false;
}

} // namespace pgphase::planners::doctor
