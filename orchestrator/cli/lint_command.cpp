// `pgphase lint`: options to LintOptions, the run, output on stdout, the exit code. The rules
// and everything they know live in planners/lint; this file only adapts them to the CLI.
#include "orchestrator/cli/lint_command.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "planners/lint/linter.hpp"
#include "planners/lint/render.hpp"
#include "planners/lint/rule.hpp"

#include <iomanip>
#include <iostream>
#include <optional>

namespace pgphase::orchestrator::cli {

namespace lint = planners::lint;

namespace {

void print_rules() {
    for (const lint::RuleInfo& info : lint::all_rules()) {
        std::cout << std::left << std::setw(32) << info.id << std::setw(8)
                  << lint::level_name(info.level) << info.summary << "\n";
    }
}

} // namespace

CLI::App* add_lint_command(CLI::App& app, LintArgs& args) {
    auto* lint = app.add_subcommand(
        "lint", "find statements in SQL migrations that would block production or lose data");
    lint->add_option("path", args.paths,
                     "a .sql file, a directory of .sql files, or a Prisma migrations folder");
    lint->add_option("--format", args.format, "text, json or github (workflow annotations)")
        ->check(CLI::IsMember({"text", "json", "github"}));
    lint->add_option("--disable", args.disabled, "a rule id not to report (repeatable)");
    lint->add_flag("--prisma", args.prisma,
                   "every file runs in one transaction, as `prisma migrate deploy` runs it "
                   "(always so for files named migration.sql)");
    lint->add_flag("--no-replay", args.no_replay,
                   "lint each file on its own, not knowing the tables earlier files create");
    lint->add_flag("--list-rules", args.list_rules, "print every rule id and exit");
    return lint;
}

int lint_command(const Common& common, const LintArgs& args) {
    if (args.list_rules) {
        print_rules();
        return static_cast<int>(ExitCode::ok);
    }
    if (args.paths.empty()) {
        throw CommandError(ExitCode::bad_input, "lint needs at least one path",
                           "pgphase lint prisma/migrations");
    }
    lint::LintOptions options;
    for (const std::string& id : args.disabled) {
        if (lint::find_rule(id) == nullptr) {
            throw CommandError(ExitCode::bad_input, "--disable names unknown rule \"" + id + "\"",
                               "pgphase lint --list-rules prints every rule id");
        }
        options.disabled.insert(id);
    }
    options.prisma = args.prisma;
    options.replay = !args.no_replay;

    std::optional<planners::Catalog> catalog;
    if (!common.dsn.empty()) {
        Session session(Dsn(common.dsn), "pgphase lint");
        catalog = read_catalog(session, "public");
    }
    const lint::LintResult result =
        lint::lint_paths(args.paths, options, catalog ? &*catalog : nullptr);
    const lint::OutputFormat format = args.format == "json"     ? lint::OutputFormat::as_json
                                      : args.format == "github" ? lint::OutputFormat::as_github
                                                                : lint::OutputFormat::as_text;
    lint::write(result, format, std::cout);
    if (!result.input_errors.empty() || result.has_syntax_errors()) {
        return static_cast<int>(ExitCode::bad_input);
    }
    return result.count(lint::Level::error) > 0 ? static_cast<int>(ExitCode::failed)
                                                : static_cast<int>(ExitCode::ok);
}

} // namespace pgphase::orchestrator::cli
