// Read-side commands on the state store: status (text and JSON), verify (read-only batches
// comparing rows with the backfill expressions) and the pause/resume/tune controls. They take no
// migration lock and change no user table.
#include "orchestrator/engine/backfill.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/purge.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/plan/step_json.hpp"
#include "planners/plan/version_schema.hpp"
#include "planners/undo/reverse_plan.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <thread>
#include <vector>

namespace pgphase::orchestrator {

using planners::Phase;
using planners::Step;
using runner::application_name;
using runner::contains;
using runner::next_command;

namespace {

// The soak the plan asked for at start (settings may change later; --min-soak is not stored).
planners::Milliseconds stored_contract_after(const MigrationRecord& record) {
    const planners::LoadResult loaded = planners::load_plan_text(record.plan_text, "<stored>");
    return loaded.plan ? loaded.plan->settings.contract_after : planners::Milliseconds(0);
}

nlohmann::json or_null(const std::string& text) {
    return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

// `kept`: every tombstone not yet purged, read once for all the migrations described.
nlohmann::json describe(StateStore& store, const MigrationRecord& record, std::int64_t now_ms,
                        const std::vector<TombstoneRecord>& kept) {
    const auto steps = planners::steps_from_json(record.steps);
    nlohmann::json out = {{"name", record.name},
                          {"schema", record.schema},
                          {"phase", phase_name(record.phase)},
                          {"steps_total", steps.size()},
                          {"steps_done", record.done_steps.size()},
                          {"next", next_command(record.phase)},
                          {"created_at", record.created_at},
                          {"updated_at", record.updated_at},
                          {"tables", touched_tables(steps)}};
    // The schema a new app version reads through (absent for migrations planned without one).
    const std::string version_schema = planners::version_schema_name(record.schema, record.name);
    // Ready once its creating step is done (the end of backfill, or of expand without one).
    const auto creates = std::find_if(steps.begin(), steps.end(), [&](const Step& s) {
        return s.table.schema == version_schema && s.phase != Phase::contract;
    });
    const bool planned = record.phase != MigrationPhase::rolled_back && creates != steps.end();
    const int creates_index = static_cast<int>(creates - steps.begin());
    out["version_schema"] = planned ? nlohmann::json(version_schema) : nlohmann::json();
    out["version_schema_ready"] =
        planned && std::find(record.done_steps.begin(), record.done_steps.end(), creates_index) !=
                       record.done_steps.end();
    // Timestamps a pipeline decides on, all UTC: expand_finished_at and, from the plan's
    // contract_after, complete_allowed_at (null until expand has finished).
    const planners::Milliseconds contract_after = stored_contract_after(record);
    out["expand_finished_at"] = or_null(record.expanded_at);
    out["contract_after"] = format_duration(contract_after);
    out["complete_allowed_at"] = nlohmann::json();
    out["soak_remaining_seconds"] = nlohmann::json();
    if (record.expanded_at_ms) {
        const SoakDecision soak = decide_soak(*record.expanded_at_ms, now_ms, contract_after);
        out["complete_allowed_at"] = format_utc(soak.allowed_at_ms);
        out["soak_remaining_seconds"] = soak.remaining.count() / 1000;
    }
    out["completed_at"] =
        record.phase == MigrationPhase::completed ? nlohmann::json(record.updated_at) : nullptr;
    const auto events = store.events(record.name, false);
    out["last_event"] = nlohmann::json();
    if (!events.empty()) {
        const EventRecord& last = events.back();
        out["last_event"] = {{"event", last.event},
                             {"at", last.at},
                             {"actor", last.actor},
                             {"command", or_null(last.command)}};
    }
    nlohmann::json backfills = nlohmann::json::array();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].backfill) {
            continue;
        }
        nlohmann::json item = {{"step", i + 1},
                               {"table", steps[i].backfill->table.display()},
                               {"done", contains(record.done_steps, static_cast<int>(i))}};
        if (auto checkpoint = store.checkpoint(record.name, static_cast<int>(i))) {
            item["rows_done"] = checkpoint->rows_done;
            item["batches"] = checkpoint->batches;
            item["last_key"] = checkpoint->last_key ? *checkpoint->last_key : nlohmann::json();
            item["estimated_rows"] = checkpoint->total_estimate;
        }
        if (auto live = store.backfill_status(record.name, static_cast<int>(i))) {
            item["state"] = live->state;
            item["reason"] = live->reason;
            item["reason_kind"] = live->reason_kind;
            item["progress"] = live->progress;
            item["rows_per_second"] = live->rows_per_second;
            item["batch_size"] = live->batch_size;
            item["eta_seconds"] =
                live->eta_seconds ? nlohmann::json(*live->eta_seconds) : nlohmann::json();
            item["reported_at"] = live->updated_at;
        }
        backfills.push_back(item);
    }
    out["backfills"] = backfills;
    // What its contract kept instead of dropping, until purged (docs/undo.md).
    nlohmann::json tombstones = nlohmann::json::array();
    for (const auto& tombstone : kept) {
        if (tombstone.migration != record.name) {
            continue;
        }
        tombstones.push_back(
            {{"kind", tombstone.kind},
             {"table", tombstone.table.empty()
                           ? nlohmann::json()
                           : nlohmann::json(tombstone.current_table().display())},
             {"name", tombstone.name},
             {"tombstone", tombstone.tombstone},
             {"kept_at", tombstone.kept_at},
             {"expires_at", tombstone.expires_at},
             {"expired", tombstone.expired},
             {"bytes", tombstone.bytes >= 0 ? nlohmann::json(tombstone.bytes) : nlohmann::json()},
             {"description", tombstone_text(tombstone)}});
    }
    out["tombstones"] = tombstones;
    const Controls controls = store.controls(record.name);
    out["paused"] = controls.paused;
    if (controls.paused) {
        out["paused_by"] = controls.paused_by;
        const auto paused = std::find_if(events.rbegin(), events.rend(), [](const auto& event) {
            return event.event == "backfill.paused";
        });
        if (paused != events.rend()) {
            out["paused_at"] = paused->at;
        }
    }
    return out;
}

std::vector<MigrationRecord> records(StateStore& store, const std::string& name) {
    if (name.empty()) {
        return store.all();
    }
    auto one = store.find(name);
    if (!one) {
        throw CommandError(ExitCode::bad_input, "no migration named \"" + name + "\"",
                           "pgphase status lists every migration");
    }
    return {*one};
}

} // namespace

std::int64_t VerifyResult::mismatches() const {
    std::int64_t total = 0;
    for (const auto& table : tables) {
        total += table.mismatches;
    }
    return total;
}

namespace {

constexpr std::size_t verify_max_samples = 10;

void add_batch(VerifyResult::Table& table, const VerifyBatch& batch) {
    table.rows_checked += batch.visited;
    table.mismatches += batch.mismatches;
    table.samples.insert(table.samples.end(), batch.samples.begin(), batch.samples.end());
}

std::size_t samples_left(const VerifyResult::Table& table) {
    return verify_max_samples - std::min(verify_max_samples, table.samples.size());
}

// Reads the pages [from, to) of one table in batches sized to take about a quarter of a second
// each (TID range scans), adding to `table`.
void verify_pages_of(Session& session, const planners::BackfillTask& task,
                     const std::vector<KeyColumn>& key, std::int64_t from, std::int64_t to,
                     VerifyResult::Table& table) {
    std::int64_t pages = 256;
    while (from < to) {
        const std::int64_t upto = std::min(to, from + pages);
        const auto started = std::chrono::steady_clock::now();
        const VerifyBatch batch =
            verify_page_range(session, task, key, from, upto, samples_left(table));
        const auto took = std::chrono::steady_clock::now() - started;
        if (took < std::chrono::milliseconds(120) && pages < 1'000'000) {
            pages *= 2;
        } else if (took > std::chrono::milliseconds(500) && pages > 256) {
            pages /= 2;
        }
        add_batch(table, batch);
        from = upto;
    }
}

// Every page in one statement, under `timeout`: over all of them the planner drops the TID
// range for a sequential scan, in parallel where PostgreSQL's settings allow, as a plain
// count(*) runs. False, with nothing added, when it ran past `timeout`.
bool verify_whole_table(Session& session, const planners::BackfillTask& task,
                        const std::vector<KeyColumn>& key, std::int64_t pages,
                        planners::Milliseconds timeout, VerifyResult::Table& table) {
    try {
        add_batch(table,
                  verify_page_range(session, task, key, 0, pages, samples_left(table), timeout));
        return true;
    } catch (const DatabaseError& e) {
        // 57014 is also a cancel by hand ("due to user request"), which must end the command.
        if (e.sqlstate() != "57014" || e.connection_lost() ||
            std::string(e.what()).find("statement timeout") == std::string::npos) {
            throw;
        }
        log::info("verify.in_batches",
                  {{"table", task.table.display()},
                   {"why", "one statement over the whole table took longer than " +
                               std::to_string(timeout.count()) + " ms"}});
        return false;
    }
}

// The pages of the table as they are now: first in one statement for up to
// options.whole_table_timeout; if that is not enough, split among `sessions` sessions of their
// own (the first is `session`), each reading its share in order in short read-only
// transactions: one table read as PostgreSQL's parallel scans read it, in batches.
void verify_by_pages(Session& session, const Dsn& dsn, const std::string& application,
                     const planners::BackfillTask& task, const std::vector<KeyColumn>& key,
                     const VerifyOptions& options, VerifyResult::Table& table) {
    const std::int64_t pages = relation_pages(session, task);
    if (options.whole_table_timeout.count() > 0 &&
        verify_whole_table(session, task, key, pages, options.whole_table_timeout, table)) {
        return;
    }
    const auto shares = static_cast<std::size_t>(
        std::clamp<std::int64_t>(pages / 1024, 1, std::max(options.sessions, 1)));
    std::vector<VerifyResult::Table> parts(shares);
    std::vector<std::exception_ptr> errors(shares);
    const auto bound = [&](std::size_t i) {
        return pages * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(shares);
    };
    std::vector<std::thread> others;
    for (std::size_t i = 1; i < shares; ++i) {
        others.emplace_back([&, i] {
            try {
                Session own(dsn, application);
                verify_pages_of(own, task, key, bound(i), bound(i + 1), parts[i]);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    }
    try {
        verify_pages_of(session, task, key, bound(0), bound(1), parts[0]);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& thread : others) {
        thread.join();
    }
    for (const auto& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    for (const auto& part : parts) { // samples in page order
        table.rows_checked += part.rows_checked;
        table.mismatches += part.mismatches;
        for (const auto& sample : part.samples) {
            if (table.samples.size() < verify_max_samples) {
                table.samples.push_back(sample);
            }
        }
    }
}

} // namespace

VerifyResult verify_migration(const planners::Plan& plan, const Dsn& dsn,
                              const std::string& state_schema, const VerifyOptions& options) {
    const std::string application = application_name("verify", plan.name);
    Session session(dsn, application);
    StateStore store(session, state_schema, "");
    store.ensure();
    const auto record = store.find(plan.name);
    if (!record) {
        throw CommandError(ExitCode::refused,
                           "verify: migration \"" + plan.name + "\" has not been started",
                           "run pgphase start " + plan.source_file + " first");
    }
    if (record->phase == MigrationPhase::completed ||
        record->phase == MigrationPhase::contracting ||
        record->phase == MigrationPhase::rolled_back) {
        throw CommandError(ExitCode::refused,
                           "verify: migration \"" + plan.name + "\" is " +
                               phase_name(record->phase) +
                               "; there is no old shape left to compare with",
                           "verify runs between start and complete");
    }
    // On PostgreSQL 14+ every table is read in physical order (TID range scans), a sequential
    // read, where key order reads the index and the heap in turns.
    const bool by_pages =
        std::stoi(
            session.query("SELECT pg_catalog.current_setting('server_version_num')").text(0, 0)) >=
        planners::tid_range_scan_version;
    VerifyResult result;
    for (const auto& step : planners::steps_from_json(record->steps)) {
        if (!step.backfill) {
            continue;
        }
        VerifyResult::Table table{step.backfill->table.display(), step.summary, 0, 0, {}};
        const auto key = resolve_key(session, *step.backfill);
        if (by_pages) {
            verify_by_pages(session, dsn, application, *step.backfill, key, options, table);
        } else {
            constexpr std::int64_t batch_size = 10'000;
            std::optional<nlohmann::json> after;
            while (true) {
                const VerifyBatch batch =
                    verify_batch(session, *step.backfill, key, after, batch_size,
                                 verify_max_samples - table.samples.size());
                if (batch.visited == 0) {
                    break;
                }
                table.rows_checked += batch.visited;
                table.mismatches += batch.mismatches;
                table.samples.insert(table.samples.end(), batch.samples.begin(),
                                     batch.samples.end());
                after = batch.upper;
            }
        }
        log::info("verify.checked", {{"migration", plan.name},
                                     {"table", table.table},
                                     {"rows", std::to_string(table.rows_checked)},
                                     {"mismatches", std::to_string(table.mismatches)}});
        result.tables.push_back(std::move(table));
    }
    return result;
}

void control_backfill(const Dsn& dsn, const std::string& state_schema, const std::string& actor,
                      const std::string& name, const std::string& command, const Controls& tuning) {
    Session session(dsn, application_name(command, name));
    StateStore store(session, state_schema, actor);
    store.set_command(command);
    store.ensure();
    control_backfill(store, name, command, tuning);
}

Controls tuning_from(std::optional<std::int64_t> max_rows_per_second,
                     std::optional<std::int64_t> max_batch_size,
                     const std::string& target_batch_time) {
    Controls tuning;
    if (max_rows_per_second) {
        if (*max_rows_per_second < 0) {
            throw CommandError(ExitCode::bad_input,
                               "max rows per second must be 0 (no cap) or more");
        }
        tuning.max_rows_per_second = *max_rows_per_second;
    }
    if (max_batch_size) {
        tuning.max_batch_size = std::max<std::int64_t>(*max_batch_size, 10);
    }
    if (!target_batch_time.empty()) {
        const auto batch_time = planners::parse_duration(target_batch_time);
        if (!batch_time || batch_time->count() <= 0) {
            throw CommandError(ExitCode::bad_input,
                               "target batch time must be a duration, e.g. 200ms");
        }
        tuning.target_batch_time_ms = batch_time->count();
    }
    return tuning;
}

void control_backfill(StateStore& store, const std::string& name, const std::string& command,
                      const Controls& tuning) {
    if (!store.find(name)) {
        throw CommandError(ExitCode::bad_input, "no migration named \"" + name + "\"",
                           "pgphase status lists every migration");
    }
    if (command == "pause") {
        store.set_paused(name, true);
    } else if (command == "resume") {
        store.set_paused(name, false);
    } else {
        store.tune(name, tuning);
    }
}

nlohmann::json status_json(StateStore& store, const std::string& name, std::int64_t now_ms) {
    nlohmann::json out = nlohmann::json::array();
    const auto migrations = records(store, name);
    const auto kept = migrations.empty() ? std::vector<TombstoneRecord>() : store.tombstones(false);
    // Each migration's undo (`pgphase undo`), when one has started: its name and phase.
    const auto all = name.empty() || migrations.empty() ? migrations : store.all();
    std::map<std::string, std::string> phases;
    for (const auto& record : all) {
        phases[record.name] = phase_name(record.phase);
    }
    for (const auto& record : migrations) {
        nlohmann::json item = describe(store, record, now_ms, kept);
        const std::string undo = planners::undo_name(record.name);
        const auto found = phases.find(undo);
        item["undo"] = found == phases.end()
                           ? nlohmann::json()
                           : nlohmann::json{{"name", undo}, {"phase", found->second}};
        out.push_back(std::move(item));
    }
    return out;
}

nlohmann::json status_json(const Dsn& dsn, const std::string& state_schema,
                           const std::string& name) {
    Session session(dsn, application_name("status", name));
    StateStore store(session, state_schema, "");
    store.ensure();
    return status_json(store, name, store.now_ms());
}

std::string status_text(const Dsn& dsn, const std::string& state_schema, const std::string& name) {
    const nlohmann::json all = status_json(dsn, state_schema, name);
    if (all.empty()) {
        return "no migrations recorded in schema \"" + state_schema + "\"\n";
    }
    std::string out;
    for (const auto& m : all) {
        out += m["name"].get<std::string>() + ": " + m["phase"].get<std::string>() + " (" +
               std::to_string(m["steps_done"].get<int>()) + "/" +
               std::to_string(m["steps_total"].get<int>()) + " steps done, updated " +
               m["updated_at"].get<std::string>() + ")\n";
        if (!m["version_schema"].is_null()) {
            const std::string schema = m["version_schema"].get<std::string>();
            out += "  version schema: " + schema +
                   (m["version_schema_ready"].get<bool>()
                        ? " (new app version: SET search_path TO " + schema + ")\n"
                        : " (created when every row is in its new shape: after backfill)\n");
        }
        for (const auto& b : m["backfills"]) {
            out += "  backfill " + b["table"].get<std::string>() + ": ";
            if (b["done"].get<bool>()) {
                out += "done";
            } else if (b.contains("rows_done")) {
                out += "in progress";
            } else {
                out += "not started";
            }
            if (b.contains("rows_done")) {
                out += ", " + std::to_string(b["rows_done"].get<std::int64_t>()) + " rows in " +
                       std::to_string(b["batches"].get<std::int64_t>()) + " batches";
            }
            if (b.contains("state") && !b["done"].get<bool>()) {
                const auto percent = static_cast<int>(b["progress"].get<double>() * 1000) / 10.0;
                std::string line = std::to_string(percent);
                line.erase(line.find('.') + 2);
                out +=
                    "; " + line + "%, " +
                    std::to_string(static_cast<std::int64_t>(b["rows_per_second"].get<double>())) +
                    " rows/s, last " + b["state"].get<std::string>();
                if (!b["reason"].get<std::string>().empty()) {
                    out += " (" + b["reason"].get<std::string>() + ")";
                }
                out += " at " + b["reported_at"].get<std::string>();
            }
            out += "\n";
        }
        if (m["paused"].get<bool>()) {
            out += "  paused by " + m["paused_by"].get<std::string>() + " (pgphase resume " +
                   m["name"].get<std::string>() + ")\n";
        }
        if (!m["expand_finished_at"].is_null()) {
            out += "  expand finished " + m["expand_finished_at"].get<std::string>();
            if (m["contract_after"].get<std::string>() != "0s") {
                out += "; contract_after " + m["contract_after"].get<std::string>() +
                       ", complete allowed from " + m["complete_allowed_at"].get<std::string>();
            }
            out += "\n";
        }
        for (const auto& t : m["tombstones"]) {
            out += "  kept: " + t["description"].get<std::string>() + "\n";
        }
        if (!m["undo"].is_null()) {
            const std::string phase = m["undo"]["phase"].get<std::string>();
            out += "  " + std::string(phase == "completed" ? "undone by " : "undo: ") +
                   m["undo"]["name"].get<std::string>() + " (" + phase + ")\n";
        }
        const std::string next = m["next"].get<std::string>();
        out += next.empty() ? "  nothing left to run\n" : "  next: pgphase " + next + "\n";
    }
    return out;
}

} // namespace pgphase::orchestrator
