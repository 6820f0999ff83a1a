// The systemd units and their companions, checked with systemd's own tools: the security
// exposure score, unit syntax, and the directory layout sysusers.d and tmpfiles.d produce.
// Each test is skipped where systemd's tools are not installed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace hubsync {
namespace {

namespace fs = std::filesystem;

const fs::path kSystemdDir = fs::path(HUBSYNC_SOURCE_DIR) / "systemd";

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
        result.output.append(buf, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool have(const std::string& tool) {
    return run("command -v " + tool).exit_code == 0;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

// The fields of the line in an /etc/passwd or /etc/group file that starts with `name:`.
std::vector<std::string> entry(const std::string& file, const std::string& name) {
    std::istringstream lines(file);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(name + ":", 0) != 0) continue;
        std::vector<std::string> fields;
        std::istringstream parts(line);
        std::string field;
        while (std::getline(parts, field, ':'))
            fields.push_back(field);
        return fields;
    }
    return {};
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class UnitFilesTest : public ::testing::Test {
  protected:
    // A copy of `unit` under `name` in the scratch directory (templates need an instance
    // name to be analyzed as a service), optionally with the binary replaced.
    fs::path copy_unit(const std::string& unit, const std::string& name,
                       const std::string& binary = "") {
        std::string text = read_file(kSystemdDir / unit);
        if (!binary.empty()) {
            text = replace_all(text, "/usr/bin/hubsync", binary);
        }
        const fs::path path = dir_ / name;
        std::ofstream(path) << text;
        return path;
    }

    testing::TempDir dir_{"hubsync-units"};
};

double exposure(const std::string& output) {
    const std::string marker = "Overall exposure level for ";
    const std::size_t at = output.find(marker);
    if (at == std::string::npos) return -1;
    const std::size_t colon = output.find(": ", at + marker.size());
    if (colon == std::string::npos) return -1;
    try {
        return std::stod(output.substr(colon + 2));
    } catch (const std::exception&) {
        return -1;
    }
}

TEST_F(UnitFilesTest, SecurityExposureIsAtMostTwo) {
    if (!have("systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
    for (const auto& [unit, name] : {std::pair{"hubsync.service", "hubsync.service"},
                                     std::pair{"hubsync@.service", "hubsync@acme.service"}}) {
        const fs::path path = copy_unit(unit, name);
        const CommandResult r =
            run("cd '" + dir_.path() +
                "' && systemd-analyze security --offline=true --no-pager ./" + name);
        const double score = exposure(r.output);
        ASSERT_GE(score, 0.0) << unit << ": no exposure score in:\n" << r.output;
        EXPECT_LE(score, 2.0) << unit << "\n" << r.output;
        // Misspelled settings are ignored by systemd with a warning, and would quietly drop
        // protections the score does not weigh.
        EXPECT_EQ(r.output.find("Unknown"), std::string::npos) << r.output;
        EXPECT_EQ(r.output.find("Failed to parse"), std::string::npos) << r.output;
    }
}

TEST_F(UnitFilesTest, UnitsVerify) {
    if (!have("systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
    // verify also checks that ExecStart exists, which /usr/bin/hubsync need not here.
    for (const auto& [unit, name] : {std::pair{"hubsync.service", "hubsync.service"},
                                     std::pair{"hubsync@.service", "hubsync@acme.service"}}) {
        copy_unit(unit, name, "/bin/true");
        const CommandResult r =
            run("cd '" + dir_.path() + "' && systemd-analyze verify --man=no ./" + name);
        EXPECT_EQ(r.exit_code, 0) << unit << "\n" << r.output;
        EXPECT_EQ(r.output, "") << unit;
    }
}

TEST_F(UnitFilesTest, UnitsCarryTheEssentials) {
    for (const char* unit : {"hubsync.service", "hubsync@.service"}) {
        const std::string text = read_file(kSystemdDir / unit);
        for (const char* line : {"Type=notify\n", "User=hubsync\n", "Group=hubsync-readers\n",
                                 "UMask=0027\n", "StateDirectoryMode=2750\n", "WatchdogSec=",
                                 "Restart=on-failure\n", "ExecReload=/bin/kill -HUP $MAINPID\n",
                                 "LoadCredential=client_secret:/etc/hubsync/client_secret\n",
                                 "CapabilityBoundingSet=\n", "NoNewPrivileges=yes\n"}) {
            EXPECT_NE(text.find(line), std::string::npos) << unit << " lacks " << line;
        }
    }
    const std::string instance = read_file(kSystemdDir / "hubsync@.service");
    EXPECT_NE(instance.find("StateDirectory=hubsync/%i\n"), std::string::npos);
    EXPECT_NE(instance.find("HUBSYNC_CONFIG=/etc/hubsync/%i.conf"), std::string::npos);
}

// sysusers.d and tmpfiles.d applied to a scratch root: the reporting group can enter the
// database directory (and, by the setgid bit, owns every file created in it), while the
// token directory is the service user's alone.
TEST_F(UnitFilesTest, SysusersAndTmpfilesGiveReadersTheDatabaseButNotTheTokens) {
    if (!have("systemd-sysusers") || !have("systemd-tmpfiles")) {
        GTEST_SKIP() << "systemd-sysusers/systemd-tmpfiles are not installed";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "creating owned directories needs root";
    const fs::path root = dir_ / "root";
    fs::create_directories(root / "etc");
    fs::create_directories(root / "usr/lib/sysusers.d");
    fs::create_directories(root / "usr/lib/tmpfiles.d");
    fs::copy_file(kSystemdDir / "hubsync.sysusers", root / "usr/lib/sysusers.d/hubsync.conf");
    fs::copy_file(kSystemdDir / "hubsync.tmpfiles", root / "usr/lib/tmpfiles.d/hubsync.conf");

    CommandResult r = run("systemd-sysusers --root='" + root.string() + "' hubsync.conf");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run("systemd-tmpfiles --root='" + root.string() + "' --create hubsync.conf");
    ASSERT_EQ(r.exit_code, 0) << r.output;

    // Ids as the scratch root's passwd and group files assigned them.
    const std::string passwd = read_file(root / "etc/passwd");
    const std::string group = read_file(root / "etc/group");
    const std::vector<std::string> user = entry(passwd, "hubsync");
    const std::vector<std::string> readers = entry(group, "hubsync-readers");
    ASSERT_GE(user.size(), 7u) << passwd;
    ASSERT_GE(readers.size(), 3u) << group;
    const unsigned uid = std::stoul(user[2]);
    const unsigned readers_gid = std::stoul(readers[2]);
    EXPECT_EQ(user[6], "/usr/sbin/nologin");

    struct stat st {};
    ASSERT_EQ(::stat((root / "var/lib/hubsync").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 02750u);
    EXPECT_EQ(st.st_uid, uid);
    EXPECT_EQ(st.st_gid, readers_gid);
    ASSERT_EQ(::stat((root / "var/lib/hubsync/tokens").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, uid);
}

}  // namespace
}  // namespace hubsync
