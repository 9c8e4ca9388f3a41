// JSON shape of a step; field names are part of `plan --format json`'s output. Pure.
#include "planners/plan/step_json.hpp"

#include <array>
#include <stdexcept>

namespace pgphase::planners {

namespace {

using nlohmann::json;

constexpr std::array<LockLevel, 9> all_locks = {LockLevel::none,
                                                LockLevel::access_share,
                                                LockLevel::row_share,
                                                LockLevel::row_exclusive,
                                                LockLevel::share_update_exclusive,
                                                LockLevel::share,
                                                LockLevel::share_row_exclusive,
                                                LockLevel::exclusive,
                                                LockLevel::access_exclusive};

LockLevel lock_from_name(const std::string& name) {
    for (LockLevel lock : all_locks) {
        if (name == lock_name(lock)) {
            return lock;
        }
    }
    throw std::invalid_argument("unknown lock level \"" + name + "\"");
}

Phase phase_from_name(const std::string& name) {
    for (Phase phase : {Phase::expand, Phase::backfill, Phase::contract}) {
        if (name == phase_name(phase)) {
            return phase;
        }
    }
    throw std::invalid_argument("unknown phase \"" + name + "\"");
}

json name_json(const QualifiedName& name) {
    return {{"schema", name.schema}, {"name", name.name}};
}

QualifiedName name_from(const json& j) {
    return {j.at("schema").get<std::string>(), j.at("name").get<std::string>()};
}

} // namespace

json to_json(const Step& step) {
    json out = {
        {"phase", phase_name(step.phase)},
        {"kind", step.kind == StepKind::ddl ? "ddl" : "backfill"},
        {"summary", step.summary},
        {"table", name_json(step.table)},
        {"sql", step.sql},
        {"transactional", step.transactional},
        {"lock", lock_name(step.lock)},
        {"undo", step.undo},
        {"undo_transactional", step.undo_transactional},
        {"change_index", step.change_index},
    };
    if (!step.violation_examples_sql.empty()) {
        out["violation_examples_sql"] = step.violation_examples_sql;
    }
    if (!step.violation_count_sql.empty()) {
        out["violation_count_sql"] = step.violation_count_sql;
    }
    if (step.concurrent_index) {
        out["concurrent_index"] = name_json(step.concurrent_index->index);
    }
    if (step.backfill) {
        json set = json::array();
        for (const auto& assignment : step.backfill->set) {
            set.push_back({{"column", assignment.column}, {"expression", assignment.expression}});
        }
        out["backfill"] = {{"table", name_json(step.backfill->table)},
                           {"key", step.backfill->key},
                           {"set", set},
                           {"pending_predicate", step.backfill->pending_predicate},
                           {"trigger_tag", step.backfill->trigger_tag}};
    }
    return out;
}

Step step_from_json(const json& j) {
    Step step;
    step.phase = phase_from_name(j.at("phase").get<std::string>());
    step.kind = j.at("kind").get<std::string>() == "backfill" ? StepKind::backfill : StepKind::ddl;
    step.summary = j.at("summary").get<std::string>();
    step.table = name_from(j.at("table"));
    step.sql = j.at("sql").get<std::vector<std::string>>();
    step.transactional = j.at("transactional").get<bool>();
    step.lock = lock_from_name(j.at("lock").get<std::string>());
    step.undo = j.at("undo").get<std::vector<std::string>>();
    step.undo_transactional = j.at("undo_transactional").get<bool>();
    step.change_index = j.at("change_index").get<int>();
    step.violation_count_sql = j.value("violation_count_sql", std::string());
    step.violation_examples_sql = j.value("violation_examples_sql", std::string());
    if (j.contains("concurrent_index")) {
        step.concurrent_index = ConcurrentIndex{name_from(j.at("concurrent_index"))};
    }
    if (j.contains("backfill")) {
        const json& b = j.at("backfill");
        BackfillTask task;
        task.table = name_from(b.at("table"));
        task.key = b.at("key").get<std::vector<std::string>>();
        for (const auto& a : b.at("set")) {
            task.set.push_back(
                {a.at("column").get<std::string>(), a.at("expression").get<std::string>()});
        }
        task.pending_predicate = b.at("pending_predicate").get<std::string>();
        task.trigger_tag = b.value("trigger_tag", std::string());
        step.backfill = std::move(task);
    }
    return step;
}

json to_json(const std::vector<Step>& steps) {
    json out = json::array();
    for (const auto& step : steps) {
        out.push_back(to_json(step));
    }
    return out;
}

std::vector<Step> steps_from_json(const json& j) {
    std::vector<Step> steps;
    for (const auto& item : j) {
        steps.push_back(step_from_json(item));
    }
    return steps;
}

} // namespace pgphase::planners
