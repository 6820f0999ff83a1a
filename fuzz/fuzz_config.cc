// libFuzzer target for the configuration loader (built with Clang only, not part of the tests):
//   fuzz_config -max_total_time=60 -dict=fuzz/dict/fuzz_config.dict fuzz/corpus/fuzz_config
// Each input is written to one file in a private temporary directory and loaded by check_config
// and load_config. Every input must load or fail with problems; never crash, leak or hang.
//
// An input may hold environment variables after its first NUL byte, one NAME=VALUE per line,
// so the HUBSYNC_<SECTION>_<KEY> overrides are covered as well; without a NUL byte the
// environment is empty.
//
// Values may name files (client_secret_file, ca_file, ...), which the loader reads: run the
// target with stdin from /dev/null and stdout/stderr to files, as scripts/fuzz.sh does.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/redact.h"

namespace {

// A private directory per process (mode 0700) holding the file every input is written to and
// the files a configuration may name by a relative path, so that secret loading succeeds as
// well as fails: a private secret, a token, an empty and a two-line file, a world-readable
// secret, a directory and a CA file.
const std::filesystem::path& work_dir() {
    static const std::filesystem::path dir = [] {
        std::string base = "/dev/shm";
        if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') base = tmp;
        std::string name = base + "/hubsync-fuzz-config.XXXXXX";
        if (::mkdtemp(name.data()) == nullptr) std::abort();
        return std::filesystem::path(name);
    }();
    return dir;
}

const std::string& config_path() {
    static const std::string path = (work_dir() / "hubsync.conf").string();
    return path;
}

void write_file(const std::filesystem::path& path, std::string_view text, mode_t mode = 0600) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) std::abort();
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n <= 0) std::abort();
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(fd);
}

// Rewrites the one config file (created 0600 once, so an inline client_secret is accepted).
void write_input(std::string_view text) {
    write_file(config_path(), text);
}

hubsync::Environment parse_environment(std::string_view text) {
    hubsync::Environment env;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    return env;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const std::filesystem::path& dir = work_dir();
    write_file(config_path(), "");
    write_file(dir / "client_secret", "s3cr3t-client-value-42\n");
    write_file(dir / "token", "pat-na1-0123456789abcdef\n");
    write_file(dir / "empty_secret", "");
    write_file(dir / "two_lines", "first\nsecond\n");
    write_file(dir / "readable_secret", "readable-secret-value\n", 0644);
    write_file(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    std::filesystem::create_directory(dir / "a_directory");
    // Remove the directory when the run ends normally (-max_total_time, -runs, -merge).
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(work_dir(), ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nul = input.find('\0');
    write_input(input.substr(0, nul));
    const hubsync::Environment env = nul == std::string_view::npos
                                         ? hubsync::Environment{}
                                         : parse_environment(input.substr(nul + 1));

    const hubsync::ConfigCheck check = hubsync::check_config(config_path(), env);
    const auto loaded = hubsync::load_config(config_path(), env);
    // load_config is check_config stopping at the first problem: both must agree.
    if (loaded.ok() != check.problems.empty()) __builtin_trap();
    if (!loaded.ok() && loaded.error().message != check.problems.front().message) __builtin_trap();
    // A problem is always about the file or an environment variable, never empty.
    for (const auto& problem : check.problems) {
        if (problem.message.empty()) __builtin_trap();
    }
    // Secrets read from files are registered for redaction; forget them so memory stays flat.
    hubsync::clear_secrets();
    return 0;
}
