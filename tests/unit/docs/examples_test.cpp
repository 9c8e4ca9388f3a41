// Every code block of README.md and docs/*.md says what it is (tests/support/doc_blocks.hpp)
// and is checked accordingly, so an example cannot rot: plans load and plan, SQL parses, lint
// examples fire the rules they name, pgphase command lines parse with the real command line,
// scripts they name exist. Blocks with an id are run or reproduced by an integration test;
// this test checks that such a test exists.
#include "orchestrator/cli/commands.hpp"
#include "planners/fleet/fleet_file.hpp"
#include "planners/lint/linter.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/plan/planner.hpp"
#include "tests/support/doc_blocks.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest-spi.h>
#include <pg_query.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

namespace pgphase::testing {
namespace {

std::vector<DocBlock> all_blocks() {
    std::vector<DocBlock> blocks;
    for (const auto& file : doc_files()) {
        auto more = read_doc_blocks(file);
        blocks.insert(blocks.end(), more.begin(), more.end());
    }
    return blocks;
}

std::vector<DocBlock> blocks_of(const std::string& language, const std::string& role) {
    std::vector<DocBlock> out;
    for (auto& block : all_blocks()) {
        if (block.language == language && block.role == role) {
            out.push_back(block);
        }
    }
    return out;
}

// The kinds a block may be, each with how it is checked (see doc_blocks.hpp).
const std::set<std::pair<std::string, std::string>> known_kinds{
    {"sh", ""},  {"sh", "run"},   {"yaml", ""}, {"yaml", "workflow"}, {"yaml", "fleet"},
    {"sql", ""}, {"sql", "lint"}, {"text", ""}, {"text", "output"},   {"text", "report"}};

// Blocks no test can run here, each with the reason; keep this list short.
const std::map<std::string, std::string> not_run{
    {"ts", "Prisma Client code needs Node.js and Prisma's engines; docs/prisma.md says what was "
           "checked by hand with Prisma 6.19.3"}};

std::string source_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(DocExamples, FleetFilesLoad) {
    const auto blocks = blocks_of("yaml", "fleet");
    ASSERT_FALSE(blocks.empty());
    const auto any_variable = [](const std::string& name) -> std::optional<std::string> {
        return "postgresql://app@" + name + "/app";
    };
    for (const auto& block : blocks) {
        const auto loaded =
            planners::fleet::load_fleet_text(block.text, block.where(), any_variable);
        EXPECT_TRUE(loaded.fleet.has_value()) << loaded.diagnostics.to_string();
    }
}

TEST(DocExamples, EveryBlockSaysWhatItIs) {
    const auto blocks = all_blocks();
    ASSERT_GT(blocks.size(), 50U);
    for (const auto& block : blocks) {
        const bool known = known_kinds.count({block.language, block.role}) > 0 ||
                           (not_run.count(block.language) > 0 && block.role.empty());
        EXPECT_TRUE(known) << block.where() << ": ```" << block.language << " " << block.role
                           << " is not a kind of example the tests know how to check; see "
                              "tests/support/doc_blocks.hpp";
        if (block.role == "run" || block.role == "output") {
            EXPECT_FALSE(block.id.empty())
                << block.where() << ": a `" << block.role << "` block needs an id=NAME";
        }
    }
}

TEST(DocExamples, EveryIdIsUsedByATest) {
    std::string tests;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             std::string(PGPHASE_SOURCE_DIR) + "/tests/integration")) {
        if (entry.path().extension() == ".cpp") {
            tests += source_text(entry.path());
        }
    }
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& block : all_blocks()) {
        if (block.id.empty()) {
            continue;
        }
        EXPECT_TRUE(seen.insert({block.file, block.id}).second)
            << block.where() << ": id=" << block.id << " is used twice in " << block.file;
        EXPECT_NE(tests.find("\"" + block.id + "\""), std::string::npos)
            << block.where() << ": no test in tests/integration names id=" << block.id;
    }
}

// --- yaml: plans, and parts of plans --------------------------------------------------------

std::string indented(const std::string& text, const std::string& indent) {
    std::istringstream in(text);
    std::string line;
    std::string out;
    while (std::getline(in, line)) {
        out += indent + line + "\n";
    }
    return out;
}

// A whole plan from a plan, a list of changes, or a settings map.
std::string as_plan(const DocBlock& block) {
    const YAML::Node node = YAML::Load(block.text);
    if (node.IsSequence()) {
        return "name: doc_example\nchanges:\n" + indented(block.text, "  ");
    }
    if (node.IsMap() && !node["name"]) {
        return "name: doc_example\n" + block.text +
               "changes:\n  - drop_index: {name: doc_example_idx}\n";
    }
    return block.text;
}

TEST(DocExamples, PlansLoadAndPlan) {
    const auto blocks = blocks_of("yaml", "");
    ASSERT_GT(blocks.size(), 20U);
    for (const auto& block : blocks) {
        const planners::LoadResult loaded = planners::load_plan_text(as_plan(block), block.where());
        ASSERT_TRUE(loaded.plan) << block.where() << ":\n"
                                 << block.text << loaded.diagnostics.to_string();
        EXPECT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.to_string();
        const auto planned = planners::plan_migration(*loaded.plan, nullptr, {});
        EXPECT_FALSE(planned.diagnostics.has_errors())
            << block.where() << ":\n"
            << block.text << planned.diagnostics.to_string();
        EXPECT_FALSE(planned.steps.empty()) << block.where();
    }
}

// --- sh: pgphase command lines --------------------------------------------------------------

// The simple commands of a shell snippet, each as words: continuation lines joined, heredoc
// bodies and comments left out, split at `&&`, `||`, `;` and `|`, redirections dropped.
std::vector<std::vector<std::string>> simple_commands(const std::string& script) {
    std::vector<std::vector<std::string>> commands;
    std::istringstream in(script);
    std::string line;
    std::string heredoc_end;
    std::string logical;
    while (std::getline(in, line)) {
        if (!heredoc_end.empty()) {
            if (line == heredoc_end) {
                heredoc_end.clear();
            }
            continue;
        }
        if (!line.empty() && line.back() == '\\') {
            logical += line.substr(0, line.size() - 1) + " ";
            continue;
        }
        logical += line;
        std::vector<std::string> words;
        std::string word;
        bool in_word = false;
        char quote = 0;
        auto finish_word = [&] {
            if (in_word) {
                words.push_back(word);
            }
            word.clear();
            in_word = false;
        };
        auto finish_command = [&] {
            finish_word();
            if (!words.empty()) {
                commands.push_back(words);
            }
            words.clear();
        };
        for (std::size_t i = 0; i < logical.size(); ++i) {
            const char c = logical[i];
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word += c;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                in_word = true;
            } else if (c == '#' && !in_word) {
                break;
            } else if (c == ' ' || c == '\t') {
                finish_word();
            } else if (c == ';' || c == '|' ||
                       (c == '&' && i + 1 < logical.size() && logical[i + 1] == '&')) {
                finish_command();
                if ((c == '|' || c == '&') && i + 1 < logical.size() && logical[i + 1] == c) {
                    ++i;
                }
            } else if (c == '<' && logical.compare(i, 2, "<<") == 0) {
                std::string marker = logical.substr(i + 2);
                marker.erase(0, marker.find_first_not_of("-'\" "));
                heredoc_end = marker.substr(0, marker.find_first_of("'\" "));
                break;
            } else {
                word += c;
                in_word = true;
            }
        }
        finish_command();
        logical.clear();
    }
    for (auto& command : commands) {
        std::vector<std::string> kept;
        for (std::size_t i = 0; i < command.size(); ++i) {
            const std::string& w = command[i];
            if (w == ">" || w == ">>" || w == "<" || w == "2>") {
                ++i; // and its target
            } else if (w.find_first_of("<>") != std::string::npos) {
                continue; // 2>&1, >file
            } else if (kept.empty() && (w == "time" || w == "exec" ||
                                        (w.find('=') != std::string::npos && w[0] != '-'))) {
                continue; // VAR=value prefixes
            } else {
                kept.push_back(w);
            }
        }
        command = kept;
    }
    return commands;
}

// Checks each pgphase command line of `script` with the real command line parser, and that
// each scripts/ file it runs exists and is executable. Returns how many it checked.
int check_commands(const std::string& script, const std::string& where) {
    int checked = 0;
    for (const auto& words : simple_commands(script)) {
        if (words.empty()) {
            continue;
        }
        const std::string& program = words.front();
        if (program == "pgphase" || program == "build/pgphase") {
            orchestrator::cli::CommandLine cli;
            std::vector<std::string> args(words.rbegin(), words.rend() - 1); // CLI11: reversed
            try {
                cli.app.parse(args);
            } catch (const CLI::ParseError& e) {
                std::string shown;
                for (const auto& w : words) {
                    shown += w + " ";
                }
                ADD_FAILURE() << where << ": `" << shown
                              << "` is not a pgphase command line: " << e.what();
            }
            ++checked;
        } else if (program.rfind("scripts/", 0) == 0) {
            struct stat info {};
            const std::string path = std::string(PGPHASE_SOURCE_DIR) + "/" + program;
            EXPECT_TRUE(stat(path.c_str(), &info) == 0 && (info.st_mode & S_IXUSR) != 0)
                << where << ": " << program << " is not an executable script";
            ++checked;
        }
    }
    return checked;
}

TEST(DocExamples, ShellCommandsAreOnesPgphaseAccepts) {
    int checked = 0;
    for (const auto& role : {"", "run"}) {
        for (const auto& block : blocks_of("sh", role)) {
            checked += check_commands(block.text, block.where());
        }
    }
    for (const auto& block : blocks_of("yaml", "workflow")) {
        int runs = 0;
        std::function<void(const YAML::Node&)> visit = [&](const YAML::Node& node) {
            if (node.IsMap()) {
                for (const auto& entry : node) {
                    if (entry.first.as<std::string>() == "run" && entry.second.IsScalar()) {
                        checked += check_commands(entry.second.as<std::string>(), block.where());
                        ++runs;
                    } else {
                        visit(entry.second);
                    }
                }
            } else if (node.IsSequence()) {
                for (const auto& item : node) {
                    visit(item);
                }
            }
        };
        visit(YAML::Load(block.text));
        EXPECT_GT(runs, 0) << block.where() << ": a workflow without a `run:` step";
    }
    EXPECT_GT(checked, 40);
}

TEST(DocExamples, TheShellReaderFindsEachCommand) {
    const auto commands = simple_commands(
        "export A=1   # comment\n"
        "X=\"a b\" build/pgphase start 'p q.yaml' --dsn \"$U\" 2>&1 | tee out && echo ok\n"
        "cat > f <<'YAML'\nname: x\nYAML\n"
        "pgphase advance p.yaml \\\n    --to complete || status=$?\n");
    ASSERT_EQ(commands.size(), 7U);
    EXPECT_EQ(commands[1],
              (std::vector<std::string>{"build/pgphase", "start", "p q.yaml", "--dsn", "$U"}));
    EXPECT_EQ(commands[2], (std::vector<std::string>{"tee", "out"}));
    EXPECT_EQ(commands[4], (std::vector<std::string>{"cat"})); // `> f` is a redirection
    EXPECT_EQ(commands[5],
              (std::vector<std::string>{"pgphase", "advance", "p.yaml", "--to", "complete"}));
    EXPECT_NONFATAL_FAILURE(check_commands("pgphase start a.yaml --to backfill\n", "here"),
                            "is not a pgphase command line");
}

// --- sql --------------------------------------------------------------------------------------

TEST(DocExamples, SqlParses) {
    for (const auto& role : {"", "lint"}) {
        for (const auto& block : blocks_of("sql", role)) {
            PgQueryParseResult result = pg_query_parse(block.text.c_str());
            EXPECT_EQ(result.error, nullptr)
                << block.where() << ": " << (result.error ? result.error->message : "") << "\n"
                << block.text;
            pg_query_free_parse_result(result);
        }
    }
}

// A `sql lint` block: each line ending in `-- RULE` is part of a statement lint reports RULE on.
TEST(DocExamples, LintExamplesFireTheRulesTheyName) {
    const auto blocks = blocks_of("sql", "lint");
    ASSERT_FALSE(blocks.empty());
    for (const auto& block : blocks) {
        planners::lint::Linter linter({});
        linter.lint(planners::lint::SourceFile(block.where(), block.text), false);
        const auto& findings = linter.result().findings;
        std::istringstream in(block.text);
        std::string line;
        int number = 0;
        int named = 0;
        while (std::getline(in, line)) {
            ++number;
            const auto comment = line.rfind("-- ");
            if (comment == std::string::npos || line.find(';', comment) != std::string::npos) {
                continue;
            }
            const std::string rule = line.substr(comment + 3);
            ++named;
            const bool fired = std::any_of(findings.begin(), findings.end(), [&](const auto& f) {
                return f.rule == rule && f.mark.line <= number &&
                       number <= std::max(f.mark.line, f.end_line);
            });
            EXPECT_TRUE(fired) << block.where() << " line " << number << ": lint does not report "
                               << rule << " on `" << line << "`";
        }
        EXPECT_GT(named, 0) << block.where() << ": a lint example names no rule";
    }
}

} // namespace
} // namespace pgphase::testing
