// YAML plan loading: the plan header (name, schema, prisma_migration), settings, and the list
// of changes, each read by its operation's unit (planners/ops/registry.hpp) through the
// MapReader machinery in reader.hpp, so that every problem is reported at file:line:column.
// Pure apart from reading the file.
#include "planners/load/plan_loader.hpp"

#include "planners/load/reader.hpp"
#include "planners/ops/registry.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// `target` takes `value` when the plan gives one.
template <typename T, typename U> void assign(T& target, const std::optional<U>& value) {
    if (value) {
        target = *value;
    }
}

void load_backfill_settings(Loader& loader, const YAML::Node& node, BackfillSettings& out) {
    MapReader reader(loader, node, "backfill settings",
                     {"batch_size", "max_batch_size", "target_batch_time", "max_rows_per_second",
                      "workers", "max_replication_lag", "max_replication_lag_bytes",
                      "max_transaction_age", "pause_during_autovacuum", "max_wal_bytes_per_second",
                      "health_query"});
    if (!reader.ok()) {
        return;
    }
    assign(out.batch_size, reader.integer("batch_size", 1));
    assign(out.max_batch_size, reader.integer("max_batch_size", 10));
    assign(out.max_replication_lag_bytes, reader.bytes("max_replication_lag_bytes"));
    assign(out.max_transaction_age, reader.duration("max_transaction_age"));
    assign(out.pause_during_autovacuum, reader.boolean("pause_during_autovacuum"));
    assign(out.max_wal_bytes_per_second, reader.bytes("max_wal_bytes_per_second"));
    assign(out.health_query, reader.query("health_query"));
    assign(out.target_batch_time, reader.duration("target_batch_time"));
    assign(out.max_rows_per_second, reader.integer("max_rows_per_second", 0));
    if (auto v = reader.integer("workers", 1)) {
        out.workers = static_cast<int>(std::min<std::int64_t>(*v, 64));
    }
    assign(out.max_replication_lag, reader.duration("max_replication_lag"));
    reader.finish();
}

constexpr std::size_t max_lock_attempts = 10'001;

// One item of lock_timeouts: "50ms" (one attempt) or "50ms x 20" (twenty).
bool load_lock_schedule_item(Loader& loader, const YAML::Node& item,
                             std::vector<Milliseconds>& schedule) {
    const std::string hint = "write each item as a duration, \"50ms\", or a duration and how many "
                             "attempts use it, \"50ms x 20\"";
    if (!item.IsScalar()) {
        loader.error(item, "each item of \"lock_timeouts\" must be a duration", hint);
        return false;
    }
    std::string text = item.Scalar();
    std::int64_t count = 1;
    if (const std::size_t x = text.find('x'); x != std::string::npos) {
        std::string times = text.substr(x + 1);
        times.erase(0, times.find_first_not_of(' '));
        std::size_t digits = 0;
        while (digits < times.size() &&
               std::isdigit(static_cast<unsigned char>(times[digits])) != 0) {
            ++digits;
        }
        if (digits == 0 || digits > 5 || digits != times.size() || std::stoll(times) == 0) {
            loader.error(item, "\"" + text + R"(" in "lock_timeouts" is not "DURATION x COUNT")",
                         hint);
            return false;
        }
        count = std::stoll(times);
        text.erase(x);
        text.erase(text.find_last_not_of(' ') + 1);
    }
    const std::optional<Milliseconds> timeout = parse_duration(text);
    if (!timeout || timeout->count() <= 0) {
        loader.error(
            item, "\"" + item.Scalar() + R"(" in "lock_timeouts" is not a duration of more than 0)",
            hint);
        return false;
    }
    if (schedule.size() + static_cast<std::size_t>(count) > max_lock_attempts) {
        loader.error(item, "\"lock_timeouts\" has more than 10001 attempts",
                     "a few dozen attempts span minutes; rerun the command for more");
        return false;
    }
    schedule.insert(schedule.end(), static_cast<std::size_t>(count), *timeout);
    return true;
}

// Settings::lock_schedule: lock_timeouts as written; else lock_timeout for every one of
// lock_retries + 1 attempts; else the default schedule, cut or padded to lock_retries + 1.
void load_lock_schedule(Loader& loader, MapReader& reader, bool retries_set, Settings& out) {
    const YAML::Node node = reader.get("lock_timeouts");
    if (!node.IsDefined()) {
        if (reader.get("lock_timeout").IsDefined()) {
            out.lock_schedule.assign(static_cast<std::size_t>(out.lock_retries) + 1,
                                     out.lock_timeout);
        } else if (retries_set) {
            out.lock_schedule.resize(static_cast<std::size_t>(out.lock_retries) + 1,
                                     out.lock_schedule.back());
        }
        return;
    }
    if (reader.get("lock_timeout").IsDefined() || reader.get("lock_retries").IsDefined()) {
        loader.error(node,
                     R"("lock_timeouts" cannot be set with ")" +
                         std::string(reader.get("lock_timeout").IsDefined() ? "lock_timeout"
                                                                            : "lock_retries") +
                         "\"",
                     "lock_timeouts gives every attempt's lock_timeout, and so the number of "
                     "attempts: keep one of the two");
        return;
    }
    if (!node.IsSequence() || node.size() == 0) {
        loader.error(node, "\"lock_timeouts\" must be a list of at least one duration",
                     "e.g. lock_timeouts: [50ms x 20, 80ms x 20]");
        return;
    }
    std::vector<Milliseconds> schedule;
    for (const YAML::Node& item : node) {
        if (!load_lock_schedule_item(loader, item, schedule)) {
            return;
        }
    }
    out.lock_schedule = std::move(schedule);
}

void load_settings(Loader& loader, const YAML::Node& node, Settings& out) {
    MapReader reader(loader, node, "settings",
                     {"lock_timeout", "lock_retries", "lock_timeouts", "cancel_autovacuum",
                      "contract_after", "version_schema", "keep_dropped", "backfill"});
    if (!reader.ok()) {
        return;
    }
    if (auto v = reader.duration("lock_timeout")) {
        if (v->count() <= 0) {
            loader.error(reader.get("lock_timeout"), "\"lock_timeout\" must be more than 0",
                         "a DDL statement without a lock timeout can queue behind a long "
                         "transaction and block every query on the table");
        } else {
            out.lock_timeout = *v;
        }
    }
    std::optional<std::int64_t> retries = reader.integer("lock_retries", 0);
    if (retries) {
        out.lock_retries = static_cast<int>(std::min<std::int64_t>(*retries, 10'000));
    }
    load_lock_schedule(loader, reader, retries.has_value(), out);
    assign(out.cancel_autovacuum, reader.boolean("cancel_autovacuum"));
    if (auto v = reader.duration("contract_after")) {
        out.contract_after = *v;
    }
    // A bare 0 is accepted here, as the documented way to turn tombstones off.
    if (const YAML::Node keep = reader.get("keep_dropped");
        keep.IsDefined() && keep.IsScalar() && keep.Scalar() == "0") {
        out.keep_dropped = Milliseconds{0};
    } else if (auto v = reader.duration("keep_dropped")) {
        out.keep_dropped = *v;
    }
    if (auto v = reader.string("version_schema", false)) {
        if (*v == "keep" || *v == "drop") {
            out.keep_version_schema = *v == "keep";
        } else {
            loader.error(reader.get("version_schema"),
                         R"("version_schema" must be "keep" or "drop", not ")" + *v + "\"",
                         "keep (the default) leaves the new version's views in place after "
                         "contract; drop removes them at contract");
        }
    }
    if (YAML::Node backfill = reader.get("backfill"); backfill.IsDefined()) {
        load_backfill_settings(loader, backfill, out.backfill);
    }
    reader.finish();
}

const std::vector<std::string>& operation_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const OperationUnit* unit : operation_units()) {
            out.emplace_back(unit->name);
        }
        return out;
    }();
    return names;
}

std::optional<Change> load_change(Loader& loader, const YAML::Node& node) {
    if (!node.IsMap() || node.size() != 1) {
        loader.error(node, "each change must be a mapping with exactly one operation",
                     "write e.g. \"- rename_column: {table: users, from: email, to: "
                     "email_address}\"");
        return std::nullopt;
    }
    const auto item = *node.begin();
    if (!item.first.IsScalar()) {
        loader.error(item.first, "an operation name must be a plain name",
                     did_you_mean("", operation_names()));
        return std::nullopt;
    }
    const auto operation = item.first.Scalar();
    const OperationUnit* unit = find_unit(operation);
    if (unit == nullptr) {
        loader.error(item.first, "unknown operation \"" + operation + "\"",
                     did_you_mean(operation, operation_names()));
        return std::nullopt;
    }
    std::optional<Operation> loaded = unit->load(loader, item.second);
    if (!loaded) {
        return std::nullopt;
    }
    return Change{*loaded, loader.mark(item.first)};
}

bool valid_migration_name(const std::string& name) {
    return !name.empty() && name.size() <= 48 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// Names the plan would create twice: two indexes, or two columns on one table.
void check_duplicates(Loader& loader, const Plan& plan) {
    NameClaims claims(loader);
    for (const auto& change : plan.changes) {
        const OperationUnit& unit = unit_of(change.operation);
        if (unit.claim_names != nullptr) {
            claims.at(change.mark);
            unit.claim_names(change.operation, claims);
        }
    }
}

// A path in the plan is relative to the plan file, not to where pgphase runs (path arithmetic
// only: nothing is read here).
std::string resolve_against_plan(const std::string& plan_file, const std::string& path) {
    const std::filesystem::path given(path);
    if (given.is_absolute()) {
        return given.lexically_normal().string();
    }
    return (std::filesystem::path(plan_file).parent_path() / given).lexically_normal().string();
}

} // namespace

std::optional<Milliseconds> parse_duration(const std::string& text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 12) {
        return std::nullopt;
    }
    const std::int64_t amount = std::stoll(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    static const std::map<std::string, std::int64_t> units = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    auto it = units.find(unit);
    if (it == units.end() || amount > std::numeric_limits<std::int64_t>::max() / it->second) {
        return std::nullopt;
    }
    return Milliseconds{amount * it->second};
}

std::optional<std::int64_t> parse_bytes(const std::string& text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 15) {
        return std::nullopt;
    }
    const std::int64_t amount = std::stoll(text.substr(0, digits));
    static const std::map<std::string, std::int64_t> units = {
        {"", 1}, {"B", 1}, {"kB", 1024}, {"MB", 1024 * 1024}, {"GB", 1024 * 1024 * 1024}};
    auto it = units.find(text.substr(digits));
    if (it == units.end() || amount > std::numeric_limits<std::int64_t>::max() / it->second) {
        return std::nullopt;
    }
    return amount * it->second;
}

LoadResult load_plan_text(const std::string& text, const std::string& file_name) {
    LoadResult result;
    Loader loader(file_name, result.diagnostics);
    loader.set_text(&text);
    const std::optional<YAML::Node> document =
        loader.parse_mapping(text, R"(a plan must be a mapping with "name" and "changes")");
    if (!document) {
        return result;
    }
    const YAML::Node& root = *document;
    Plan plan;
    plan.source_file = file_name;
    plan.source_text = text;
    MapReader reader(loader, root, "plan",
                     {"name", "schema", "settings", "prisma_migration", "changes"});
    if (auto name = reader.string("name", true)) {
        if (!valid_migration_name(*name)) {
            loader.error(reader.get("name"), "bad migration name \"" + *name + "\"",
                         "use 1 to 48 characters from a-z, 0-9 and _, e.g. "
                         "20261123_rename_users_email");
        } else {
            plan.name = *name;
        }
    }
    if (auto schema = reader.identifier("schema", false)) {
        plan.schema = *schema;
    }
    if (YAML::Node settings = reader.get("settings"); settings.IsDefined()) {
        load_settings(loader, settings, plan.settings);
    }
    if (auto dir = reader.string("prisma_migration", false)) {
        if (dir->empty()) {
            loader.error(reader.get("prisma_migration"), "\"prisma_migration\" is empty",
                         "give a Prisma migration directory, e.g. "
                         "prisma/migrations/20261125093000_rename_email");
        } else {
            plan.prisma_migration = resolve_against_plan(file_name, *dir);
        }
    }
    if (YAML::Node changes = reader.require("changes"); changes.IsDefined()) {
        if (!changes.IsSequence() || changes.size() == 0) {
            loader.error(changes, "\"changes\" must be a non-empty list");
        } else {
            for (const auto& node : changes) {
                if (auto change = load_change(loader, node)) {
                    plan.changes.push_back(std::move(*change));
                }
            }
        }
    }
    reader.finish();
    check_duplicates(loader, plan);
    if (!result.diagnostics.has_errors()) {
        result.plan = std::move(plan);
    }
    return result;
}

LoadResult load_plan_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        LoadResult result;
        result.diagnostics.error({path, 0, 0}, "cannot read plan file",
                                 "check that the path exists and is readable");
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_plan_text(text.str(), path);
}

} // namespace pgphase::planners
