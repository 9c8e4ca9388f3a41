// pgphase entry point: everything happens in cli::run.
#include "orchestrator/cli/commands.hpp"

int main(int argc, char** argv) {
    return pgphase::orchestrator::cli::run(argc, argv);
}
