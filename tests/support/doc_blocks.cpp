#include "tests/support/doc_blocks.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pgphase::testing {
namespace {

const std::string ellipsis = "\xE2\x80\xA6"; // …

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
            line.pop_back();
        }
        lines.push_back(line);
    }
    while (!lines.empty() && lines.back().empty()) {
        lines.pop_back();
    }
    return lines;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// One line of an output example against one printed line (see holds_doc_output).
bool line_matches(std::string_view pattern, std::string_view actual) {
    if (pattern.empty()) {
        return actual.empty();
    }
    if (pattern.substr(0, ellipsis.size()) == ellipsis) {
        const std::string_view rest = pattern.substr(ellipsis.size());
        for (std::size_t skip = 0; skip <= actual.size(); ++skip) {
            if (line_matches(rest, actual.substr(skip))) {
                return true;
            }
        }
        return false;
    }
    if (is_digit(pattern.front())) {
        std::size_t digits = 0;
        while (digits < pattern.size() && is_digit(pattern[digits])) {
            ++digits;
        }
        for (std::size_t taken = 1; taken <= actual.size() && is_digit(actual[taken - 1]);
             ++taken) {
            if (line_matches(pattern.substr(digits), actual.substr(taken))) {
                return true;
            }
        }
        return false;
    }
    return !actual.empty() && pattern.front() == actual.front() &&
           line_matches(pattern.substr(1), actual.substr(1));
}

bool lines_match(const std::vector<std::string>& pattern, std::size_t at,
                 const std::vector<std::string>& actual, std::size_t from) {
    if (at == pattern.size()) {
        return true;
    }
    if (pattern[at] == ellipsis) {
        for (std::size_t next = from; next <= actual.size(); ++next) {
            if (lines_match(pattern, at + 1, actual, next)) {
                return true;
            }
        }
        return false;
    }
    return from < actual.size() && line_matches(pattern[at], actual[from]) &&
           lines_match(pattern, at + 1, actual, from + 1);
}

} // namespace

std::vector<std::string> doc_files() {
    std::vector<std::string> files{"README.md"};
    std::vector<std::string> docs;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(PGPHASE_SOURCE_DIR) + "/docs")) {
        if (entry.path().extension() == ".md") {
            docs.push_back("docs/" + entry.path().filename().string());
        }
    }
    std::sort(docs.begin(), docs.end());
    files.insert(files.end(), docs.begin(), docs.end());
    return files;
}

std::vector<DocBlock> read_doc_blocks(const std::string& file) {
    std::ifstream in(std::string(PGPHASE_SOURCE_DIR) + "/" + file);
    if (!in) {
        throw std::runtime_error("cannot read " + file);
    }
    std::vector<DocBlock> blocks;
    std::string line;
    int number = 0;
    bool inside = false;
    std::size_t indent = 0;
    DocBlock block;
    while (std::getline(in, line)) {
        ++number;
        const std::size_t first = line.find_first_not_of(' ');
        const bool fence = first != std::string::npos && line.compare(first, 3, "```") == 0;
        if (!inside && fence) {
            inside = true;
            indent = first;
            block = DocBlock{};
            block.file = file;
            block.line = number;
            std::istringstream info(line.substr(first + 3));
            std::string word;
            info >> block.language;
            while (info >> word) {
                if (word.rfind("id=", 0) == 0) {
                    block.id = word.substr(3);
                } else {
                    block.role += (block.role.empty() ? "" : " ") + word;
                }
            }
        } else if (inside && fence) {
            inside = false;
            blocks.push_back(block);
        } else if (inside) {
            const std::size_t strip = std::min(indent, line.find_first_not_of(' '));
            block.text += (strip == std::string::npos ? std::string() : line.substr(strip)) + "\n";
        }
    }
    if (inside) {
        throw std::runtime_error(block.where() + ": the code block is never closed");
    }
    return blocks;
}

DocBlock doc_block(const std::string& file, const std::string& id) {
    for (auto& block : read_doc_blocks(file)) {
        if (block.id == id) {
            return block;
        }
    }
    ADD_FAILURE() << file << " has no block with id=" << id;
    throw std::runtime_error(file + " has no block with id=" + id);
}

::testing::AssertionResult holds_doc_output(const std::string& actual, const DocBlock& block) {
    const std::vector<std::string> pattern = split_lines(block.text);
    const std::vector<std::string> printed = split_lines(actual);
    for (std::size_t from = 0; from <= printed.size(); ++from) {
        if (lines_match(pattern, 0, printed, from)) {
            return ::testing::AssertionSuccess();
        }
    }
    return ::testing::AssertionFailure()
           << "the output example at " << block.where() << " (id=" << block.id
           << ") is not what pgphase printed; update the doc or the code.\nthe doc shows:\n"
           << block.text << "pgphase printed:\n"
           << actual;
}

} // namespace pgphase::testing
