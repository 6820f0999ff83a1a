// hubsync-chaos [--reduced] [--seed N] [--scenario NAME]... [--hubsync PATH] [--work DIR]
//               [--latency MS] [--no-mount-namespace] [--verbose]
// Runs the chaos scenarios against the hubsync executable and prints one line per scenario:
//   kills       ran 100  survived 100  lost rows 0  duplicated 0  PASS  (measures...)
// Exit 0 when every scenario passed, 1 otherwise, 64 on bad usage.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

#include "chaos.h"

namespace {

using namespace hubsync::chaos;

int usage(const char* why) {
    std::fprintf(stderr,
                 "hubsync-chaos: %s\nusage: hubsync-chaos [--reduced] [--seed N] "
                 "[--scenario kills|faults|disk-full|readers]... [--hubsync PATH] [--work DIR] "
                 "[--latency MS] [--no-mount-namespace] [--verbose]\n"
                 "  --latency MS  the kills scenario's simulator holds every answer MS\n",
                 why);
    return 64;
}

std::string line_for(const Outcome& o) {
    std::string line = o.scenario;
    line.resize(std::max<std::size_t>(line.size(), 10), ' ');
    line += "  ran " + std::to_string(o.ran) + "  survived " + std::to_string(o.survived) +
            "  lost rows " + std::to_string(o.lost_rows) + "  duplicated " +
            std::to_string(o.duplicated_rows) + (o.passed() ? "  PASS" : "  FAIL");
    if (!o.measures.empty()) {
        line += "  (";
        for (std::size_t i = 0; i < o.measures.size(); ++i)
            line += (i ? "; " : "") + o.measures[i];
        line += ")";
    }
    for (const auto& f : o.failures)
        line += "\n    failed: " + f;
    return line;
}

// A mount namespace of our own, so disk-full can mount a small tmpfs that nothing else sees.
// Root unshares directly; others get a user namespace first (mapped to themselves as root),
// which unprivileged users may create on most systems. Must run before any thread starts.
bool enter_private_mounts(std::string* problem) {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(uid == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        *problem = std::string("unshare: ") + std::strerror(errno);
        return false;
    }
    if (uid != 0) {
        const auto write = [](const char* path, const std::string& text) {
            FILE* f = std::fopen(path, "w");
            if (f == nullptr) return false;
            const bool ok = std::fputs(text.c_str(), f) >= 0;
            return std::fclose(f) == 0 && ok;
        };
        if (!write("/proc/self/setgroups", "deny") ||
            !write("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
            !write("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
            *problem = "cannot write the user namespace's id maps";
            return false;
        }
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        *problem = std::string("making mounts private: ") + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    options.self = std::filesystem::canonical("/proc/self/exe").string();
    options.hubsync =
        (std::filesystem::path(options.self).parent_path().parent_path() / "daemon" / "hubsync")
            .string();
    std::vector<std::string> wanted;
    std::string work;
    bool no_mounts = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--reduced") {
                options.reduced = true;
            } else if (a == "--seed") {
                options.seed = std::stoull(value());
            } else if (a == "--scenario") {
                wanted.push_back(value());
            } else if (a == "--hubsync") {
                options.hubsync = value();
            } else if (a == "--work") {
                work = value();
            } else if (a == "--latency") {
                options.latency = Millis(std::stoll(value()));
                if (options.latency.count() < 0) return usage("--latency takes MS >= 0");
            } else if (a == "--no-mount-namespace") {  // disk-full with a file size limit
                no_mounts = true;
            } else if (a == "--verbose") {
                options.verbose = true;
            } else if (a == "--reader") {  // internal: one reader process of run_readers
                const std::string db = value();
                return reader_main(db, std::stoll(value()));
            } else {
                return usage(("unknown argument " + a).c_str());
            }
        } catch (const std::exception& e) {
            return usage(e.what());
        }
    }
    const std::map<std::string, std::function<Outcome(const Options&)>> scenarios = {
        {"kills", run_kills},
        {"faults", run_faults},
        {"disk-full", run_disk_full},
        {"readers", run_readers},
    };
    if (wanted.empty()) wanted = {"kills", "faults", "disk-full", "readers"};
    for (const auto& w : wanted)
        if (!scenarios.count(w)) return usage(("unknown scenario " + w).c_str());
    if (!std::filesystem::exists(options.hubsync))
        return usage(("no hubsync executable at " + options.hubsync).c_str());

    if (no_mounts) {
        options.private_mounts_problem = "--no-mount-namespace";
    } else if (std::find(wanted.begin(), wanted.end(), "disk-full") != wanted.end()) {
        options.private_mounts = enter_private_mounts(&options.private_mounts_problem);
    }

    std::string pattern =
        (work.empty() ? std::filesystem::temp_directory_path() / "hubsync-chaos-XXXXXX"
                      : std::filesystem::path(work) / "hubsync-chaos-XXXXXX")
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) return usage("cannot create a work directory");
    options.work = pattern;

    std::printf("hubsync-chaos: seed %llu, %s size, latency %lld ms\n",
                static_cast<unsigned long long>(options.seed), options.reduced ? "reduced" : "full",
                static_cast<long long>(options.latency.count()));
    std::fflush(stdout);
    bool all_passed = true;
    for (const auto& name : {"kills", "faults", "disk-full", "readers"}) {
        if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
        const auto started = std::chrono::steady_clock::now();
        Outcome outcome;
        try {
            outcome = scenarios.at(name)(options);
        } catch (const std::exception& e) {
            outcome.fail(std::string("aborted: ") + e.what());
        }
        outcome.scenario = name;
        const auto seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        outcome.measure(std::to_string(static_cast<int>(seconds + 0.5)) + " s");
        all_passed = all_passed && outcome.passed();
        std::printf("%s\n", line_for(outcome).c_str());
        std::fflush(stdout);
    }
    std::error_code ec;
    std::filesystem::remove_all(options.work, ec);
    return all_passed ? 0 : 1;
}
