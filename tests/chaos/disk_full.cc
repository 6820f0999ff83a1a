// The disk fills up under the mirror: a one-shot sync must fail with a clear error (exit 74,
// "disk full"), the service must keep running and retrying, the database must stay intact,
// and once space returns the service must finish by itself and equal the truth.
// The small disk is a tmpfs mounted in this process's own mount namespace (see main.cc).
// Where no namespace can be had, a file size limit (RLIMIT_FSIZE) plays the full disk: SQLite
// then fails with EFBIG instead of ENOSPC, and the error says "file size limit".
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <thread>

#include "chaos.h"

namespace hubsync::chaos {
namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

// The small disk: a tmpfs of `bytes`, or (without a mount namespace) a file size limit that
// children inherit. grow() gives the room back to the running child.
class SmallDisk final {
  public:
    SmallDisk(const Options& options, std::filesystem::path dir, std::size_t bytes)
        : dir_(std::move(dir)), bytes_(bytes), tmpfs_(options.private_mounts) {
        std::filesystem::create_directories(dir_);
        if (tmpfs_) {
            const std::string data = "size=" + std::to_string(bytes) + ",mode=0700";
            if (::mount("hubsync-chaos", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                        data.c_str()) != 0)
                throw std::runtime_error(std::string("mount tmpfs: ") + std::strerror(errno));
        }
        // A write past a file size limit raises SIGXFSZ, which would kill the child; ignored
        // signals stay ignored across exec, so the write fails with EFBIG instead.
        std::signal(SIGXFSZ, SIG_IGN);
    }
    ~SmallDisk() {
        if (tmpfs_) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool tmpfs() const { return tmpfs_; }
    std::string describe() const {
        return (tmpfs_ ? "tmpfs of " : "file size limit of ") +
               std::to_string(bytes_ / (1024 * 1024)) + " MiB";
    }
    // The words hubsync's error must contain.
    std::string expected_error() const { return tmpfs_ ? "disk full" : "file size limit"; }

    // Spawns with the limit in force (only the file size limit needs this).
    template <typename F>
    auto limited(F spawn) {
        if (tmpfs_) return spawn();
        rlimit original{};
        ::getrlimit(RLIMIT_FSIZE, &original);
        rlimit small = original;
        small.rlim_cur = bytes_;
        ::setrlimit(RLIMIT_FSIZE, &small);
        auto result = spawn();
        ::setrlimit(RLIMIT_FSIZE, &original);
        return result;
    }

    // Space returns: the tmpfs grows, or the child's limit is lifted.
    bool grow(pid_t child) {
        if (tmpfs_) {
            const std::string data = "size=1g";
            return ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_NOSUID | MS_NODEV,
                           data.c_str()) == 0;
        }
        rlimit original{};
        ::getrlimit(RLIMIT_FSIZE, &original);
        return ::prlimit(child, RLIMIT_FSIZE, &original, nullptr) == 0;
    }

  private:
    std::filesystem::path dir_;
    std::size_t bytes_;
    bool tmpfs_;
};

}  // namespace

Outcome run_disk_full(const Options& options) {
    Outcome o;
    sim::SimOptions so;
    so.contacts = options.reduced ? 5'000 : 30'000;
    so.custom_properties = 16;
    so.rate_limits = false;
    so.token_ttl = std::chrono::hours(24);
    so.seed = options.seed + 2;
    so.threads = 4;
    const auto db_dir = options.work / "disk-full-db";
    SmallDisk disk(options, db_dir, options.reduced ? 2u << 20 : 6u << 20);
    if (!disk.tmpfs()) o.measure("no mount namespace (" + options.private_mounts_problem + ")");
    o.measure(disk.describe());
    Workspace ws(options, "disk-full", so, db_dir);
    ws.write_config("requests_per_10s = 190\ninterval = 1s\nretry_initial = 1s\nretry_max = 2s\n",
                    "", true, "warning");

    // 1. A one-shot sync runs out of room: exit 74 (EX_IOERR) and a message that says why.
    {
        ++o.ran;
        auto child = disk.limited([&] { return ws.spawn({"sync"}); });
        const auto code = child->finish(300s);
        const std::string err = child->err();
        const bool clear = err.find(disk.expected_error()) != std::string::npos;
        const bool intact = quick_check(ws.database());
        if (code != 74)
            o.fail("the one-shot sync exited " + std::to_string(code.value_or(-1)) + ", not 74");
        if (!clear)
            o.fail("the one-shot sync's error does not say \"" + disk.expected_error() +
                   "\": " + err.substr(0, 300));
        if (!intact) o.fail("quick_check failed after the one-shot sync");
        if (code == 74 && clear && intact) ++o.survived;
        progress(options,
                 "one-shot sync on a full disk exited " + std::to_string(code.value_or(-1)));
    }
    // 2. The service on the full disk keeps running and retries (with its backoff).
    auto service = disk.limited([&] { return ws.spawn({"run"}); });
    {
        ++o.ran;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (count_of(service->err(), disk.expected_error()) < 3 &&
               std::chrono::steady_clock::now() < deadline && !service->wait_exit(0ms)) {
            std::this_thread::sleep_for(100ms);
        }
        const std::size_t failures = count_of(service->err(), disk.expected_error());
        const bool running = !service->wait_exit(0ms).has_value();
        const bool intact = quick_check(ws.database());
        o.measure(std::to_string(failures) + " failed syncs logged while full");
        if (!running) o.fail("the service exited on a full disk");
        if (failures < 3) o.fail("the service did not retry on a full disk");
        if (!intact) o.fail("quick_check failed while the disk was full");
        if (running && failures >= 3 && intact) ++o.survived;
    }
    // 3. Space returns: the service catches up by itself.
    {
        ++o.ran;
        if (!disk.grow(service->pid())) o.fail("could not give the space back");
        const auto started = std::chrono::steady_clock::now();
        const auto deadline = started + (options.reduced ? 60s : 180s);
        testing::TruthCheck check;
        do {
            std::this_thread::sleep_for(500ms);
            check = ws.check();
        } while (!check.equal() && std::chrono::steady_clock::now() < deadline &&
                 !service->wait_exit(0ms));
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        o.measure("caught up " + std::to_string(static_cast<int>(seconds + 0.5)) +
                  " s after space returned");
        service->signal(SIGTERM);
        const auto code = service->finish(30s);
        if (code != 0)
            o.fail("the service's exit after SIGTERM: " + std::to_string(code.value_or(-1)));
        o.record(check);
        if (check.equal() && code == 0) ++o.survived;
    }
    return o;
}

}  // namespace hubsync::chaos
