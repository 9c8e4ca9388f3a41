// What each operation rewrite gets: the change, the plan around it, the catalog as earlier
// changes leave it, and places to put its steps and diagnostics. Pure.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/diagnostic.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"
#include "planners/plan/planner.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

struct OpContext {
    const Plan& plan;
    const Change& change;
    int change_index;
    const PlanningOptions& options;
    Catalog* catalog; // nullptr without a database; ops update it for later changes
    Diagnostics& diagnostics;
    std::vector<std::string>& unchecked;
    std::vector<Step> steps;

    QualifiedName table_name(const std::string& table) const { return {plan.schema, table}; }

    // The table, or nullptr: reports an unknown table (with a suggestion) when there is a
    // catalog, and records that existence was not checked when there is none.
    CatalogTable* find_table(const std::string& table);

    // The column, or nullptr after reporting it unknown (with a suggestion).
    const CatalogColumn* find_column(const CatalogTable& table, const std::string& column,
                                     const std::string& role);

    // A step of this change, pre-filled with phase, table and change index.
    Step& add_step(Phase phase, const std::string& table, std::string summary);
};

void plan_rename_column(OpContext& context, const RenameColumn& op);
void plan_add_column(OpContext& context, const AddColumn& op);
void plan_create_index(OpContext& context, const CreateIndex& op);
void plan_add_check(OpContext& context, const AddCheck& op);
void plan_add_foreign_key(OpContext& context, const AddForeignKey& op);
void plan_add_unique(OpContext& context, const AddUnique& op);
void plan_add_primary_key(OpContext& context, const AddPrimaryKey& op);
void plan_drop_constraint(OpContext& context, const DropConstraint& op);
void plan_rename_constraint(OpContext& context, const RenameConstraint& op);
void plan_change_type(OpContext& context, const ChangeType& op);
void plan_create_table(OpContext& context, const CreateTable& op);
void plan_drop_table(OpContext& context, const DropTable& op);
void plan_rename_table(OpContext& context, const RenameTable& op);
void plan_drop_column(OpContext& context, const DropColumn& op);
void plan_set_not_null(OpContext& context, const SetNotNull& op);
void plan_drop_not_null(OpContext& context, const DropNotNull& op);
void plan_set_default(OpContext& context, const SetDefault& op);
void plan_drop_default(OpContext& context, const DropDefault& op);
void plan_drop_index(OpContext& context, const DropIndex& op);
void plan_backfill_data(OpContext& context, const BackfillData& op);
void plan_raw_sql(OpContext& context, const RawSql& op);

} // namespace pgphase::planners
