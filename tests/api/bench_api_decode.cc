// Decoder micro-benchmark: decodes a typical contact page (100 contacts x 50 properties by
// default) repeatedly and prints contacts/s, by wall time and by CPU time (the machine may be
// shared). Usage: bench_api_decode [contacts] [properties] [seconds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "api/decode.h"
#include "page_gen.h"

namespace {

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    hubsync::testing::PageShape shape;
    if (argc > 1) shape.contacts = std::atoi(argv[1]);
    if (argc > 2) shape.properties = std::atoi(argv[2]);
    const double seconds = argc > 3 ? std::atof(argv[3]) : 2.0;
    const std::string page = hubsync::testing::make_page(shape);

    const auto check = hubsync::decode_record_page(page);
    if (!check.ok()) {
        std::fprintf(stderr, "decode failed: %s\n", check.error().describe().c_str());
        return 1;
    }

    using SteadyClock = std::chrono::steady_clock;
    const auto start = SteadyClock::now();
    const double cpu_start = cpu_seconds();
    long pages = 0;
    std::size_t contacts = 0;
    double elapsed = 0;
    do {
        for (int i = 0; i < 20; ++i) {
            auto r = hubsync::decode_record_page(page);
            contacts += r->records.size();
            ++pages;
        }
        elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    } while (elapsed < seconds);
    const double cpu = cpu_seconds() - cpu_start;

    std::printf("page: %d contacts x %d properties, %zu bytes\n", shape.contacts, shape.properties,
                page.size());
    std::printf("wall: %ld pages in %.2f s: %.1f us/page, %.0f contacts/s, %.0f MB/s\n", pages,
                elapsed, elapsed * 1e6 / static_cast<double>(pages),
                static_cast<double>(contacts) / elapsed,
                static_cast<double>(page.size()) * static_cast<double>(pages) / elapsed / 1e6);
    std::printf("cpu:  %.1f us/page, %.0f contacts/s per core\n",
                cpu * 1e6 / static_cast<double>(pages), static_cast<double>(contacts) / cpu);
    return 0;
}
