// pgphase-traffic entry point: everything happens in traffic::main.
#include "tools/traffic/traffic.hpp"

int main(int argc, char** argv) {
    return pgphase::tools::traffic::main(argc, argv);
}
