// The systemd units and their companions, checked with systemd's own tools: the security
// exposure score, unit syntax, and the directory layout sysusers.d and tmpfiles.d produce.
// Each test is skipped where systemd's tools are not installed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

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

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class UnitFilesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("hubsync-units-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A copy of `unit` under `name` in the scratch directory (templates need an instance
    // name to be analyzed as a service), optionally with the binary replaced.
    fs::path copy_unit(const std::string& unit, const std::string& name,
                       const std::string& binary = "") {
        std::string text = read_file(kSystemdDir / unit);
        if (!binary.empty()) {
            text = std::regex_replace(text, std::regex("/usr/bin/hubsync"), binary);
        }
        const fs::path path = dir_ / name;
        std::ofstream(path) << text;
        return path;
    }

    fs::path dir_;
};

double exposure(const std::string& output) {
    static const std::regex score(R"(Overall exposure level for \S+: ([0-9]+\.[0-9]+))");
    std::smatch m;
    if (!std::regex_search(output, m, score)) return -1;
    return std::stod(m[1]);
}

TEST_F(UnitFilesTest, SecurityExposureIsAtMostTwo) {
    if (!have("systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
    for (const auto& [unit, name] : {std::pair{"hubsync.service", "hubsync.service"},
                                     std::pair{"hubsync@.service", "hubsync@acme.service"}}) {
        const fs::path path = copy_unit(unit, name);
        const CommandResult r =
            run("cd '" + dir_.string() +
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
            run("cd '" + dir_.string() + "' && systemd-analyze verify --man=no ./" + name);
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
    std::smatch m;
    ASSERT_TRUE(std::regex_search(passwd, m, std::regex(R"((?:^|\n)hubsync:x:(\d+):(\d+):)")));
    const unsigned uid = std::stoul(m[1]);
    ASSERT_TRUE(std::regex_search(group, m, std::regex(R"((?:^|\n)hubsync-readers:x:(\d+):)")));
    const unsigned readers_gid = std::stoul(m[1]);
    EXPECT_NE(passwd.find(":/usr/sbin/nologin"), std::string::npos);

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
