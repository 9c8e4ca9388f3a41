// `pgphase purge`: drops the tombstones contract kept, once expired (or all of them with --all),
// each announced before it goes.
#include "orchestrator/cli/purge_command.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/purge.hpp"
#include "orchestrator/pg/session.hpp"
#include "orchestrator/state/store.hpp"

#include <iostream>

namespace pgphase::orchestrator::cli {

CLI::App* add_purge_command(CLI::App& app, PurgeArgs& args) {
    auto* purge = app.add_subcommand(
        "purge", "drop the columns and tables contract kept (tombstones) once they expire");
    purge->add_option("name", args.migration, "only this migration's tombstones");
    purge->add_flag("--all", args.all,
                    "also the ones that have not expired yet (undo can then no longer bring "
                    "them back)");
    purge->add_flag("--dry-run", args.dry_run, "only say what it would drop");
    return purge;
}

int purge_command(const Common& common, const PurgeArgs& args) {
    const Dsn dsn = require_dsn(common);
    Session session(dsn, "pgphase purge");
    StateStore store(session, common.state_schema, actor(common));
    store.set_command("purge");
    store.ensure();
    PurgeOptions options;
    options.all = args.all;
    options.migration = args.migration;
    const auto selected = purgeable(store, options);
    if (selected.empty()) {
        std::size_t kept = 0;
        for (const auto& tombstone : store.tombstones(false)) {
            kept += args.migration.empty() || tombstone.migration == args.migration ? 1U : 0U;
        }
        std::cout << "purge: nothing to purge";
        if (kept > 0) {
            std::cout << " (" << kept << " tombstone" << (kept == 1 ? "" : "s")
                      << " not expired yet; pgphase status lists them, --all purges them now)";
        }
        std::cout << "\n";
        return 0;
    }
    if (args.dry_run) {
        for (const auto& tombstone : selected) {
            std::cout << "purge would drop " << tombstone_text(tombstone) << "\n";
            for (const auto& statement : purge_index_statements(session, tombstone)) {
                std::cout << "  " << statement << "; -- on its own\n";
            }
            for (const auto& statement : purge_statements(tombstone, store.schema())) {
                std::cout << "  " << statement << ";\n";
            }
        }
        return 0;
    }
    const PurgeResult result = purge(session, store, selected, options, [](const auto& tombstone) {
        std::cout << "purge: dropping " << tombstone_text(tombstone) << "\n" << std::flush;
    });
    for (const auto& failure : result.failures) {
        std::cerr << "error: purge could not drop " << failure << "\n";
    }
    std::cout << "purge: dropped " << result.purged.size() << " of " << selected.size() << "\n";
    if (result.lock_gave_up) {
        return static_cast<int>(ExitCode::lock_gave_up);
    }
    return result.failures.empty() ? 0 : static_cast<int>(ExitCode::failed);
}

} // namespace pgphase::orchestrator::cli
