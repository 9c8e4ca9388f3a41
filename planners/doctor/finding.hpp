// What `pgphase doctor` reports: each finding with what to do about it and, for the safe ones,
// the repair `--fix` makes; said as text, JSON or GitHub workflow commands. The checks that read
// the database are in orchestrator/doctor; the facts they read become findings here. Pure.
#pragma once

#include "planners/model/step.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners::doctor {

// How --fix repairs a finding; `none` leaves it to a person (the hint says how).
enum class RepairKind {
    none,
    statements,          // in one transaction, under the default lock schedule
    outside_transaction, // one statement in autocommit (DROP INDEX CONCURRENTLY), lock retries
    finish_rollback,     // pgphase rollback of `migration`, from the plan stored at its start
    purge_tombstone,     // pgphase purge of tombstone `tombstone`: `sql` is what it runs
};

struct Repair {
    RepairKind kind = RepairKind::none;
    std::vector<std::string> sql;
    QualifiedName table; // whose lock the statements wait for (its holders are named)
    std::string migration;
    std::int64_t tombstone = 0; // the state store's id, for purge_tombstone
};

struct Finding {
    std::string check;  // e.g. "invalid-index": stable, for tools
    std::string object; // what it is about, as SQL names it, e.g. index "public"."users_idx"
    std::string message;
    std::string hint;
    Repair repair;

    bool fixable() const { return repair.kind != RepairKind::none; }
};

// What --fix would do, for people: the SQL, or "pgphase rollback of ...".
std::string repair_text(const Repair& repair);

// `database` names what was examined (a DSN without its password).
std::string render_text(const std::vector<Finding>& findings, const std::string& database);
nlohmann::json render_json(const std::vector<Finding>& findings, const std::string& database);
// One ::error:: (an INVALID index, a nearly full sequence) or ::warning:: per finding.
std::string render_github(const std::vector<Finding>& findings);

// ---- The facts the checks read, and the findings they make -------------------------------

// An index left INVALID (a failed or killed CREATE INDEX CONCURRENTLY, or REINDEX's _ccnew).
Finding invalid_index(const QualifiedName& index, const std::string& table, std::int64_t bytes);

// A constraint added NOT VALID and never validated: new rows are checked, old ones never were.
Finding unvalidated_constraint(const QualifiedName& table, const std::string& constraint,
                               const std::string& kind);

// A pgphase sync trigger, its function, a shadow column or a version schema that no migration
// in flight uses (the state store lost track of it, e.g. its migration row was deleted).
Finding orphaned_trigger(const QualifiedName& table, const std::string& trigger);
Finding orphaned_function(const QualifiedName& function, const std::string& arguments);
Finding orphaned_shadow_column(const QualifiedName& table, const std::string& column);
// `migration` is "" when no migration in the state store has this version schema.
Finding orphaned_version_schema(const std::string& schema, const std::string& migration);

// A tombstone past its keep_dropped time that no complete or purge has dropped yet. `object` and
// `was` describe it as status does; `sql` is what purging it runs.
struct ExpiredTombstone {
    std::int64_t id = 0;
    std::string object; // column "public"."orders"."_pgphase_dropped_…" or table "…"."…"
    std::string was;    // its name before contract
    std::string migration;
    std::string expired_at;
    std::string size; // "" when unknown
    QualifiedName table;
    std::vector<std::string> sql;
};
Finding expired_tombstone(const ExpiredTombstone& tombstone);

// A migration left in a phase only a running command is in (expanding, contracting,
// rolling_back) while no pgphase holds its lock: that command failed or died.
Finding interrupted_migration(const std::string& migration, const std::string& phase,
                              const std::string& since);

// A backfill that has not moved for longer than the threshold: paused, stopped part way with
// no pgphase running it (a --max-batches canary, Ctrl-C, a crash), or stuck while running.
enum class Stall { paused, stopped, stuck };
Finding stalled_backfill(const std::string& migration, Stall stall, const std::string& by,
                         const std::string& since);

struct SequenceFill {
    QualifiedName sequence;
    std::string type;  // the owning column's type when narrower than the sequence's, else its own
    std::string owner; // "public"."users"."id", "" when no column owns it
    std::int64_t last_value = 0;
    std::int64_t max_value = 0; // the smaller of the sequence's and the column type's maximum
};

// A finding when the sequence has used more than `threshold` (0..1) of its range.
std::optional<Finding> sequence_near_max(const SequenceFill& fill, double threshold);

// Whether `name` is written in any of the in-flight migrations' steps (their JSON text): the
// object is then theirs, in use.
bool in_use(const std::vector<std::string>& in_flight_steps, const std::string& name);

} // namespace pgphase::planners::doctor
