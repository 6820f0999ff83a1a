// hubsync: entry point. The command line lives in cli.cc, the commands in daemon/commands.h.
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "config/config.h"

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    return hubsync::run_cli(args, hubsync::process_environment(), std::cin, std::cout, std::cerr);
}
