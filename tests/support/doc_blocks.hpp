// The fenced code blocks of README.md and docs/*.md, for the tests that run them so the docs'
// examples cannot rot (tests/unit/docs and the integration tests naming a block by its id).
//
// A block's info string says what it is: its first word is the language, the optional second
// word its role, and an optional `id=NAME` lets a test find it:
//
//     ```sh                      commands; every pgphase command line in it must parse
//     ```sh run id=NAME          commands an integration test runs as written
//     ```yaml                    a plan, or changes or settings of one: loaded and planned
//     ```yaml workflow           a CI workflow: its `run:` commands are checked as `sh`
//     ```yaml fleet              a fleet file (docs/fleet.md): loaded
//     ```sql [id=NAME]           statements: parsed; with an id, also run by a test
//     ```sql lint                statements each followed by `-- RULE`: lint must report RULE
//     ```text                    not an example: a synopsis, a diagram, a listing
//     ```text output id=NAME     what pgphase prints: an integration test reproduces it
//     ```text report             a recorded run of a script, with its measurements
//
// GitHub and other renderers use only the first word, so the rest stays invisible to readers.
#pragma once

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace pgphase::testing {

struct DocBlock {
    std::string file; // relative to the source tree: "README.md", "docs/cli.md"
    int line = 0;     // of the opening fence
    std::string language;
    std::string role;
    std::string id;
    std::string text; // the content, without the fence's indentation

    std::string where() const { return file + ":" + std::to_string(line); }
};

// The documentation files, relative to the source tree: README.md, then docs/*.md by name.
std::vector<std::string> doc_files();

// The blocks of one file (relative to the source tree), in order.
std::vector<DocBlock> read_doc_blocks(const std::string& file);

// The block of `file` with `id=NAME`; fails the calling test (and throws) when there is none.
DocBlock doc_block(const std::string& file, const std::string& id);

// Whether `actual` holds the output example `block`: its lines, contiguous and in order, where
// `…` stands for any text, a run of digits for any digits, and a line holding only `…` for
// any number of lines.
::testing::AssertionResult holds_doc_output(const std::string& actual, const DocBlock& block);

} // namespace pgphase::testing
