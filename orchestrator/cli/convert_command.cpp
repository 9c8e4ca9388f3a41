// `pgphase convert`: reads the file, runs planners/convert, writes the plan and a one-line
// summary. What maps to what lives in planners/convert; this file only adapts it to the CLI.
#include "orchestrator/cli/convert_command.hpp"

#include "orchestrator/engine/outcome.hpp"
#include "planners/convert/converter.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace pgphase::orchestrator::cli {

CLI::App* add_convert_command(CLI::App& app, ConvertArgs& args) {
    auto* convert = app.add_subcommand(
        "convert", "turn a raw SQL migration (e.g. Prisma's migration.sql) into a pgphase plan");
    convert->add_option("file", args.path, "a .sql file, or a Prisma migration folder")->required();
    convert->add_option("-o,--output", args.output, "write the plan here (default: stdout)");
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
    std::ostringstream text;
    text << in.rdbuf();
    const planners::convert::ConvertResult result =
        planners::convert::convert_sql(path, text.str());
    if (result.errors.has_errors()) {
        std::cerr << result.errors.to_string();
        return static_cast<int>(ExitCode::bad_input);
    }
    if (args.output.empty()) {
        std::cout << result.yaml;
    } else {
        std::ofstream out(args.output);
        out << result.yaml;
        if (!out) {
            throw CommandError(ExitCode::failed, "could not write \"" + args.output + "\"");
        }
    }
    std::cerr << path << ": " << result.operations << " operation(s), " << result.raw_sql
              << " kept as SQL, " << result.to_confirm << " rename(s) to confirm, "
              << result.to_fill << " NOT NULL column(s) to fill\n";
    return static_cast<int>(ExitCode::ok);
}

} // namespace pgphase::orchestrator::cli
