// `pgphase convert`: reads the file, runs planners/convert, writes the plan and a one-line
// summary. What maps to what lives in planners/convert; this file only adapts it to the CLI.
#include "orchestrator/cli/convert_command.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "planners/convert/converter.hpp"
#include "planners/lint/linter.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace pgphase::orchestrator::cli {

namespace {

namespace fs = std::filesystem;

// The column types the migrations before `path` in its folder create, replayed as lint does:
// `<folder>/<name>/migration.sql` is preceded by the other `<folder>/*/migration.sql` sorting
// before it, a plain `.sql` file by the `.sql` files beside it. Counts the files read.
planners::lint::SchemaModel earlier_migrations(const std::string& path, int& files) {
    planners::lint::SchemaModel model;
    files = 0;
    const fs::path file(path);
    const fs::path folder =
        file.filename() == "migration.sql" ? file.parent_path().parent_path() : file.parent_path();
    std::vector<std::string> errors;
    const auto inputs = planners::lint::collect_inputs(
        {folder.empty() ? std::string(".") : folder.string()}, errors);
    std::error_code code;
    for (const auto& input : inputs) {
        if (fs::equivalent(input.path, file, code)) {
            return model; // everything before it, in the order lint reads them
        }
        std::ifstream in(input.path);
        std::ostringstream text;
        text << in.rdbuf();
        const planners::lint::SourceFile source(input.path, text.str());
        for (const auto& statement : source.statements()) {
            model.apply(statement);
        }
        ++files;
    }
    files = 0; // the file is not among them (a folder lint does not read): nothing learnt
    return {};
}

} // namespace

CLI::App* add_convert_command(CLI::App& app, ConvertArgs& args) {
    auto* convert = app.add_subcommand(
        "convert", "turn a raw SQL migration (e.g. Prisma's migration.sql) into a pgphase plan");
    convert->add_option("file", args.path, "a .sql file, or a Prisma migration folder")->required();
    convert->add_option("-o,--output", args.output, "write the plan here (default: stdout)");
    convert->add_flag("--no-replay", args.no_replay,
                      "do not read the earlier migrations of the file's folder for column types");
    return convert;
}

int convert_command(const ConvertArgs& args) {
    std::string path = args.path;
    std::error_code code;
    if (std::filesystem::is_directory(path, code)) {
        path += "/migration.sql"; // a Prisma migration folder
    }
    std::ifstream in(path);
    if (!in || std::filesystem::is_directory(path, code)) {
        throw CommandError(ExitCode::bad_input, "could not read \"" + path + "\"",
                           "give a .sql file or a folder holding migration.sql");
    }
    std::string text(static_cast<std::size_t>(std::filesystem::file_size(path, code)), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    int earlier = 0;
    const planners::lint::SchemaModel before =
        args.no_replay ? planners::lint::SchemaModel{} : earlier_migrations(path, earlier);
    // The plan goes out as it is written: a big one is never held whole (issue 17). The file
    // is opened (and so created or emptied) only when there is a plan.
    std::ofstream file;
    const planners::convert::ConvertResult result = planners::convert::convert_sql(
        path, std::move(text), earlier > 0 ? &before : nullptr, [&]() -> std::ostream& {
            if (args.output.empty()) {
                return std::cout;
            }
            file.open(args.output);
            return file;
        });
    if (result.errors.has_errors()) {
        std::cerr << result.errors.to_string();
        return static_cast<int>(ExitCode::bad_input);
    }
    if (!args.output.empty()) {
        file.close();
        if (!file) {
            throw CommandError(ExitCode::failed, "could not write \"" + args.output + "\"");
        }
    }
    std::cerr << path << ": " << result.operations << " operation(s), " << result.raw_sql
              << " kept as SQL, " << result.to_confirm << " rename(s) to confirm, "
              << result.to_fill << " NOT NULL column(s) to fill"
              << (earlier > 0
                      ? ", column types from " + std::to_string(earlier) + " earlier migration(s)"
                      : std::string())
              << "\n";
    return static_cast<int>(ExitCode::ok);
}

} // namespace pgphase::orchestrator::cli
