// The version schema: one view per table of the plan's schema, presenting the database as the
// new app version sees it while old and new versions run side by side. Pure.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

// "<schema>_<migration>", e.g. public_rename_users_email (cut and hashed past 63 bytes).
std::string version_schema_name(const std::string& schema, const std::string& migration);

// Its CREATE VIEW statement for one table of the working catalog, or "" for a table the new
// version does not see. Columns keep the table's order; hidden ones are left out and shadow
// columns appear under the name they stand for, so the view stays automatically updatable
// (INSERT, UPDATE, DELETE and RETURNING through it, with the base table's defaults).
std::string version_view_sql(const std::string& version_schema, const CatalogTable& table,
                             bool security_invoker);

// The COMMENT ON statements that give its view the comments set_comment set in this plan (the
// base table keeps its own until contract): run right after the view is created.
std::vector<std::string> version_view_comments(const std::string& version_schema,
                                               const CatalogTable& table);

// The step creating the schema and its views, planned after every change has shaped the working
// catalog, and, when the plan says `version_schema: drop`, the contract step removing it.
// The views appear once every row is in its new shape: last in the backfill phase when the plan
// has backfill steps (a view over a half-filled column would show the new version NULLs, and an
// UPDATE through it would compute from them), else last in expand. Views reference only columns
// that survive contract, so contract never has to rebuild them.
std::vector<Step> version_schema_steps(const Plan& plan, const Catalog& working,
                                       bool after_backfill);

} // namespace pgphase::planners
