// Micro benchmark of the mirror's write path: contacts/s for a backfill-shaped load
// (pages of 100 contacts, 50 properties each, cursor saved with every page).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mirror/sqlite_mirror.h"

namespace {
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
}  // namespace

int main(int argc, char** argv) {
    using namespace hubsync;
    const int total = argc > 1 ? std::atoi(argv[1]) : 100'000;
    const int nprops = argc > 2 ? std::atoi(argv[2]) : 50;
    const std::string dir = (std::filesystem::temp_directory_path() / "bench_mirror").string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/bench.db";

    auto opened = SqliteMirror::open(path);
    if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", opened.error().describe().c_str());
        return 1;
    }
    auto& mirror = *opened.value();
    std::vector<PropertyDef> defs;
    const char* types[] = {"string", "number", "bool", "datetime", "enumeration"};
    for (int i = 0; i < nprops; ++i) {
        PropertyDef d;
        d.name = "prop_" + std::to_string(i);
        d.type = types[i % 5];
        d.label = d.name;
        defs.push_back(d);
    }
    if (auto r = mirror.apply_properties(contacts_type(), defs, {}); !r.ok()) {
        std::fprintf(stderr, "%s\n", r.error().describe().c_str());
        return 1;
    }

    auto value_for = [](int type, int id, int i) -> std::string {
        switch (type) {
            case 0:
                return "value " + std::to_string(id) + " of property " + std::to_string(i);
            case 1:
                return std::to_string(id % 1000) + ".5";
            case 2:
                return id % 2 ? "true" : "false";
            case 3:
                return "2024-09-11T13:27:39.356Z";
            default:
                return "option_a;option_b";
        }
    };
    // Pages are built outside the timed section: only the mirror's work is measured.
    constexpr int kPage = 100;
    std::chrono::steady_clock::duration spent{};
    double cpu_spent = 0;  // CPU seconds: meaningful on a machine busy with other work
    std::vector<Record> page;
    for (int first = 1, page_no = 0; first <= total; first += kPage, ++page_no) {
        page.clear();
        for (int id = first; id < first + kPage && id <= total; ++id) {
            Record c;
            c.id = id;
            c.created_at = "2024-01-01T00:00:00.000Z";
            c.updated_at = "2024-09-11T13:27:39.356Z";
            for (int i = 0; i < nprops; ++i)
                c.properties.push_back({defs[i].name, value_for(i % 5, id, i)});
            page.push_back(std::move(c));
        }
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds();
        hubsync::PageWrite write;
        write.records = page;
        write.state = {{hubsync::kStateBackfillAfter, std::to_string(page_no)}};
        auto r = mirror.write(hubsync::contacts_type(), write);
        cpu_spent += cpu_seconds() - c0;
        spent += std::chrono::steady_clock::now() - t0;
        if (!r.ok()) {
            std::fprintf(stderr, "%s\n", r.error().describe().c_str());
            return 1;
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    (void)mirror.checkpoint();
    cpu_spent += cpu_seconds() - c0;
    spent += std::chrono::steady_clock::now() - t0;
    const double secs = std::chrono::duration<double>(spent).count();
    std::printf(
        "%d contacts x %d properties in %.2f s: %.0f contacts/s (CPU %.2f s: %.0f contacts/s)\n",
        total, nprops, secs, total / secs, cpu_spent, total / cpu_spent);
    std::filesystem::remove_all(dir);
    return 0;
}
