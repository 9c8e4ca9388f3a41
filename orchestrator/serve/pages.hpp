// The HTML pages of `pgphase serve`: every migration, one migration with its backfills, charts,
// events and controls, and not found. Pure: complete documents from a snapshot, no I/O.
#pragma once

#include "orchestrator/serve/view.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pgphase::orchestrator::serve {

// A path segment percent-encoded: all but A-Z a-z 0-9 - . _ ~ (RFC 3986 unreserved), so a name
// with '/', '?', '#', '%', spaces or non-ASCII letters still addresses its own page.
std::string url_encode(std::string_view segment);

// Every migration in a table linking to its page; a friendly line when there are none.
std::string index_page(const Snapshot& snapshot);

// One migration; what changes lives in <main id="live">, which the page's script refetches
// every 3 s. Pause/Resume/Tune sit outside it and POST to /api/migrations/<name>/{action}.
std::string migration_page(const Snapshot& snapshot, const MigrationView& migration);

// `serve --fleet`: a row per target (linking to its own index), its migrations by phase, or
// why it could not be read.
std::string fleet_page(std::string_view fleet_file, const std::vector<TargetView>& targets);

// A 404 page; `what` is plain text (escaped here), e.g. `migration "x"`.
std::string not_found_page(std::string_view what);

} // namespace pgphase::orchestrator::serve
