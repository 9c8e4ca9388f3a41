// deploy's report as text (one block per migration, then what it stopped at) and as JSON
// (docs/deploy.md documents the fields).
#include "orchestrator/deploy/deployer.hpp"
#include "planners/lint/rule.hpp"

#include <iomanip>
#include <sstream>

namespace pgphase::orchestrator {

namespace {

nlohmann::json finding_json(const planners::lint::Finding& finding) {
    return {{"rule", finding.rule},       {"level", planners::lint::level_name(finding.level)},
            {"line", finding.mark.line},  {"column", finding.mark.column},
            {"message", finding.message}, {"lock", finding.lock},
            {"hint", finding.hint}};
}

std::string indent(const std::string& text, const std::string& by) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out += by + line + "\n";
    }
    return out;
}

} // namespace

std::string deploy_text(const DeployReport& report) {
    std::ostringstream out;
    out << (report.dry_run ? "dry run: " : "") << "deploy " << report.dir << " ("
        << planners::deploy::kind_name(report.kind) << " folder, history in " << report.history
        << ", --to " << target_name(report.target) << ")\n";
    for (const std::string& note : report.notes) {
        out << "note: " << note << "\n";
    }
    for (const auto& problem : report.problems) {
        out << "error: " << problem.message << "\n";
        out << "hint: " << problem.hint << "\n";
    }
    for (const DeployedMigration& migration : report.migrations) {
        if (migration.state == "already_applied" && !report.dry_run) {
            continue;
        }
        out << std::left << std::setw(20) << migration.state << " " << migration.name;
        if (!migration.mode.empty()) {
            out << " (" << migration.mode;
            if (migration.mode == "phased" && !migration.pgphase_migration.empty()) {
                out << " as " << migration.pgphase_migration;
            }
            if (!migration.phase_before.empty() || !migration.phase_after.empty()) {
                out << ", "
                    << (migration.phase_before.empty() ? "not started" : migration.phase_before)
                    << " -> " << (migration.phase_after.empty() ? "-" : migration.phase_after);
            }
            if (migration.rows_backfilled > 0) {
                out << ", " << migration.rows_backfilled << " rows backfilled";
            }
            if (migration.seconds > 0) {
                out << ", " << std::fixed << std::setprecision(1) << migration.seconds << " s";
            }
            out << ")";
        }
        out << "\n";
        if (!migration.reason.empty()) {
            out << "    why phased: " << migration.reason << "\n";
        }
        for (const auto& finding : migration.findings) {
            // Info is in --format json only; errors outside a dry run are in "why phased".
            if (finding.level == planners::lint::Level::info ||
                (finding.level == planners::lint::Level::error && !report.dry_run &&
                 migration.state != "failed" && migration.state != "needs_review")) {
                continue;
            }
            out << "    " << migration.path << ":" << finding.mark.line << ":"
                << finding.mark.column << ": " << planners::lint::level_name(finding.level) << ": "
                << finding.message << " [" << finding.rule << "]\n";
        }
        if (report.dry_run && migration.state == "pending") {
            if (migration.mode == "direct") {
                out << "    runs in one transaction, with its history row:\n";
                for (const std::string& statement : migration.statements) {
                    out << indent(statement + ";", "      ");
                }
            } else {
                out << "    plan (" << migration.plan_source << "):\n"
                    << indent(migration.plan_text, "      ") << "    steps:\n"
                    << indent(migration.steps_text, "      ");
            }
        }
        if (migration.state == "needs_review") {
            out << "    converted plan, to review and save as " << migration.reviewed_plan_path
                << ":\n"
                << indent(migration.plan_text, "      ");
        }
        if (!migration.allowed_at.empty()) {
            out << "    contract allowed from " << migration.allowed_at << "\n";
        }
        if (!migration.error.empty()) {
            out << "    error: " << migration.error << "\n";
        }
        if (!migration.hint.empty()) {
            out << "    hint: " << migration.hint << "\n";
        }
    }
    out << report.result;
    if (!report.message.empty()) {
        out << ": " << report.message;
    }
    out << "\n";
    return out.str();
}

nlohmann::json deploy_json(const DeployReport& report) {
    nlohmann::json migrations = nlohmann::json::array();
    for (const DeployedMigration& migration : report.migrations) {
        nlohmann::json findings = nlohmann::json::array();
        for (const auto& finding : migration.findings) {
            findings.push_back(finding_json(finding));
        }
        migrations.push_back({{"name", migration.name},
                              {"path", migration.path},
                              {"state", migration.state},
                              {"mode", migration.mode},
                              {"reason", migration.reason},
                              {"findings", findings},
                              {"statements", migration.statements},
                              {"plan_source", migration.plan_source},
                              {"plan", migration.plan_text},
                              {"steps", migration.steps_text},
                              {"reviewed_plan_path", migration.reviewed_plan_path},
                              {"pgphase_migration", migration.pgphase_migration},
                              {"phase_before", migration.phase_before},
                              {"phase_after", migration.phase_after},
                              {"allowed_at", migration.allowed_at},
                              {"steps_run", migration.steps_run},
                              {"rows_backfilled", migration.rows_backfilled},
                              {"seconds", migration.seconds},
                              {"error", migration.error},
                              {"hint", migration.hint}});
    }
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& problem : report.problems) {
        problems.push_back({{"kind", planners::deploy::problem_name(problem.kind)},
                            {"migration", problem.name},
                            {"message", problem.message},
                            {"hint", problem.hint}});
    }
    return {{"folder", report.dir},          {"kind", planners::deploy::kind_name(report.kind)},
            {"history", report.history},     {"target", target_name(report.target)},
            {"dry_run", report.dry_run},     {"result", report.result},
            {"exit_code", report.exit_code}, {"message", report.message},
            {"notes", report.notes},         {"problems", problems},
            {"migrations", migrations}};
}

} // namespace pgphase::orchestrator
