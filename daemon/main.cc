// hubsync: entry point. The command line and service wiring live in daemon/.
#include <cstdio>

int main() {
    std::puts("hubsync");
    return 0;
}
