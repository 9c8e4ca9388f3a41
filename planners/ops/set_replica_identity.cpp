// Plans ALTER TABLE ... REPLICA IDENTITY: what an UPDATE or DELETE writes to the WAL about the
// old row, for logical replication and change-data capture (DEFAULT: the primary key; FULL:
// every column; NOTHING; USING INDEX: a unique index's columns). No app version reads it, so it
// is set at contract, metadata only, under a brief ACCESS EXCLUSIVE with the lock schedule;
// before contract there is nothing to roll back. USING INDEX is checked against the catalog as
// PostgreSQL checks it (unique, not partial, no expression, not deferrable, valid, every column
// NOT NULL), so the plan is refused before start rather than failing at contract. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <string>
#include <variant>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

using Identity = SetReplicaIdentity::Identity;

const char* identity_sql(Identity identity) {
    switch (identity) {
    case Identity::default_:
        return "DEFAULT";
    case Identity::full:
        return "FULL";
    case Identity::nothing:
        return "NOTHING";
    case Identity::index:
        return "USING INDEX";
    }
    return "DEFAULT";
}

// Why PostgreSQL would refuse `index` as the table's replica identity, or "".
std::string unusable_index(const CatalogTable& table, const CatalogIndex& index) {
    if (!index.unique) {
        return "it is not unique";
    }
    if (index.partial) {
        return "it is partial (has a WHERE)";
    }
    if (index.expressions) {
        return "it indexes an expression";
    }
    if (index.deferrable) {
        return "it backs a DEFERRABLE constraint";
    }
    if (!index.valid) {
        return "it is INVALID (a failed concurrent build)";
    }
    for (const auto& column : index.columns) {
        const CatalogColumn* found = table.column(column);
        if (found != nullptr && !found->not_null) {
            return "its column \"" + column + "\" may be NULL";
        }
    }
    return {};
}

// An index an earlier create_index of this plan builds, or nullptr.
const CreateIndex* created_earlier(const OpContext& context, const SetReplicaIdentity& op) {
    for (int i = 0; i < context.change_index; ++i) {
        const auto* create =
            std::get_if<CreateIndex>(&context.plan.changes[static_cast<std::size_t>(i)].operation);
        if (create != nullptr && create->table == op.table && create->name == op.index) {
            return create;
        }
    }
    return nullptr;
}

void check_index(OpContext& context, const SetReplicaIdentity& op) {
    CatalogTable* table = context.find_table(op.table);
    if (table == nullptr) {
        return;
    }
    const std::string name = "index \"" + op.index + "\" of table \"" + op.table + "\"";
    std::string problem;
    if (const CatalogIndex* index = table->index(op.index)) {
        problem = unusable_index(*table, *index);
        if (problem.empty() && !check_not_replaced_earlier(context, op.table, index->columns)) {
            return;
        }
    } else if (const CreateIndex* create = created_earlier(context, op)) {
        CatalogIndex planned{create->name, create->unique, false, true, create->columns, ""};
        planned.partial = create->where.has_value();
        problem = unusable_index(*table, planned);
    } else {
        std::vector<std::string> names;
        for (const auto& existing : table->indexes) {
            names.push_back(existing.name);
        }
        context.diagnostics.error(context.change.mark, name + " does not exist",
                                  did_you_mean(op.index, names));
        return;
    }
    if (!problem.empty()) {
        context.diagnostics.error(
            context.change.mark, name + " cannot be the replica identity: " + problem,
            "use a unique, non-partial index on NOT NULL columns (e.g. the one a unique "
            "constraint on them makes), or identity: full");
    }
}

} // namespace

void plan_set_replica_identity(OpContext& context, const SetReplicaIdentity& op) {
    if (op.identity == Identity::index) {
        check_index(context, op);
    } else {
        context.find_table(op.table);
    }
    const QualifiedName table = context.table_name(op.table);
    std::string sql =
        "ALTER TABLE " + table.sql() + " REPLICA IDENTITY " + identity_sql(op.identity);
    std::string summary =
        std::string("set the replica identity of ") + op.table + " to " + identity_sql(op.identity);
    if (op.identity == Identity::index) {
        sql += " " + quote_ident(op.index);
        summary += " " + op.index;
    }
    Step& step = context.add_step(Phase::contract, op.table, summary);
    step.lock = LockLevel::access_exclusive;
    step.sql.push_back(std::move(sql));
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_set_replica_identity(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "set_replica_identity", {"table", "identity", "index"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto identity = reader.string("identity", true);
    auto index = reader.identifier("index", false);
    reader.finish();
    if (!table || !identity || (reader.get("index").IsDefined() && !index)) {
        return std::nullopt;
    }
    SetReplicaIdentity op{*table, Identity::default_, index.value_or("")};
    if (*identity == "default") {
        op.identity = Identity::default_;
    } else if (*identity == "full") {
        op.identity = Identity::full;
    } else if (*identity == "nothing") {
        op.identity = Identity::nothing;
    } else if (*identity == "index") {
        op.identity = Identity::index;
    } else {
        loader.error(reader.get("identity"),
                     "\"identity\" in set_replica_identity must be default, full, nothing or "
                     "index, not \"" +
                         *identity + "\"",
                     did_you_mean(*identity, {"default", "full", "nothing", "index"}));
        return std::nullopt;
    }
    if (op.identity == Identity::index && !index) {
        loader.error(node, "set_replica_identity with identity: index needs \"index\"",
                     "name the unique index, e.g. index: users_email_key");
        return std::nullopt;
    }
    if (op.identity != Identity::index && index) {
        loader.error(reader.get("index"),
                     "\"index\" in set_replica_identity is only for identity: index",
                     "remove it, or write identity: index");
        return std::nullopt;
    }
    return op;
}

std::string canonical_set_replica_identity(const SetReplicaIdentity& op) {
    return "set_replica_identity " + quote_ident(op.table) + " " + identity_sql(op.identity) +
           (op.identity == Identity::index ? " " + quote_ident(op.index) : "");
}

} // namespace

extern constinit const OperationUnit set_replica_identity_unit =
    operation_unit<SetReplicaIdentity, load_set_replica_identity, plan_set_replica_identity,
                   canonical_set_replica_identity>("set_replica_identity");

} // namespace pgphase::planners
