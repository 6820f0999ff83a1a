// StaticTokenSource: a service key read from access_token_file, followed through rotations of
// the file without a restart, and a 401 that says which file to update.
#include "oauth/static_token_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/exit_codes.h"
#include "core/redact.h"
#include "test_util.h"

namespace hubsync {
namespace {

using testing::LogCapture;
using testing::TempDir;

constexpr const char* kOldKey = "pat-na1-old-key-0000";
constexpr const char* kNewKey = "pat-na1-new-key-1111";

// Replaces the file as an admin or a secrets manager would: a new file renamed over the old.
void replace_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
    const std::string temp = path + ".new";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << text;
    }
    ::chmod(temp.c_str(), mode);
    std::filesystem::rename(temp, path);
}

class StaticTokenSourceTest : public ::testing::Test {
  protected:
    StaticTokenSourceTest() { replace_file(file, std::string(kOldKey) + "\n"); }

    TempDir dir;
    const std::string file = dir.file("service_key");
    StaticTokenSource source{kOldKey, file};
};

TEST_F(StaticTokenSourceTest, ServesTheKeyFromTheFile) {
    auto token = source.access_token();
    ASSERT_TRUE(token.ok()) << token.error().describe();
    EXPECT_EQ(*token, kOldKey);
    EXPECT_EQ(redact(std::string("Bearer ") + kOldKey), "Bearer [REDACTED]");
}

TEST_F(StaticTokenSourceTest, A401WithTheSameKeyNamesTheFileAndNeedsAPerson) {
    auto token = source.access_token();
    ASSERT_TRUE(token.ok());
    auto after = source.refresh_after_unauthorized(*token);
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().kind, ErrorKind::kAuthRequired);
    EXPECT_EQ(after.error().exit_code(), exit_code::kNoPerm);
    EXPECT_EQ(after.error().exit_code(), 77);
    EXPECT_EQ(after.error().message, "HubSpot rejected the access token in " + file +
                                         " (401): the key was revoked or rotated: update " + file);
    EXPECT_EQ(after.error().describe().find(kOldKey), std::string::npos);
}

// The admin replaces the file after the 401: the next request uses the new key, no restart.
TEST_F(StaticTokenSourceTest, AKeyRotatedAfterA401IsUsedByTheNextRequest) {
    LogCapture logs;
    const std::string rejected = *source.access_token();
    ASSERT_FALSE(source.refresh_after_unauthorized(rejected).ok());
    replace_file(file, std::string(kNewKey) + "\n");
    auto token = source.access_token();
    ASSERT_TRUE(token.ok()) << token.error().describe();
    EXPECT_EQ(*token, kNewKey);
    EXPECT_EQ(logs.count_containing("holds a new token"), 1);
    EXPECT_EQ(logs.all().find(kNewKey), std::string::npos);
    EXPECT_EQ(logs.all().find(kOldKey), std::string::npos);
}

// The file changed before HubSpot's 401 arrived: the retry after the 401 gets the new key.
TEST_F(StaticTokenSourceTest, A401AfterTheFileChangedRetriesWithTheNewKey) {
    const std::string rejected = *source.access_token();
    replace_file(file, std::string(kNewKey) + "\n");
    auto retry = source.refresh_after_unauthorized(rejected);
    ASSERT_TRUE(retry.ok()) << retry.error().describe();
    EXPECT_EQ(*retry, kNewKey);
}

// Rewritten in place (same inode, e.g. `echo KEY > file`): the size or mtime change is enough.
TEST_F(StaticTokenSourceTest, AFileRewrittenInPlaceIsReadAgain) {
    ASSERT_EQ(*source.access_token(), kOldKey);
    {
        std::ofstream out(file, std::ios::trunc);
        out << "pat-na1-rewritten-in-place-22\n";
    }
    EXPECT_EQ(*source.access_token(), "pat-na1-rewritten-in-place-22");
}

// The check is a stat, not a read: content changed behind an unchanged stamp (same inode, size
// and mtime) is not seen, which shows no read happens on an unchanged file.
TEST_F(StaticTokenSourceTest, AnUnchangedFileIsNotReadAgain) {
    ASSERT_EQ(*source.access_token(), kOldKey);
    const auto mtime = std::filesystem::last_write_time(file);
    {
        std::fstream out(file, std::ios::in | std::ios::out);
        out << "pat-na1-old-key-9999";  // same length, written in place
    }
    std::filesystem::last_write_time(file, mtime);
    EXPECT_EQ(*source.access_token(), kOldKey);
    // A 401 always reads the file.
    EXPECT_EQ(*source.refresh_after_unauthorized(kOldKey), "pat-na1-old-key-9999");
}

TEST_F(StaticTokenSourceTest, AnUnreadableNewFileIsAClearErrorUntilFixed) {
    ASSERT_TRUE(source.access_token().ok());
    for (const std::string bad : {"", "two words\n"}) {
        SCOPED_TRACE(bad);
        replace_file(file, bad);
        auto token = source.access_token();
        ASSERT_FALSE(token.ok());
        EXPECT_EQ(token.error().kind, ErrorKind::kConfig);
        EXPECT_NE(token.error().message.find("access_token_file '" + file + "'"), std::string::npos)
            << token.error().message;
    }
    std::filesystem::remove(file);
    auto missing = source.access_token();
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("cannot read access_token_file '" + file +
                                           "': No such file or directory"),
              std::string::npos)
        << missing.error().message;
    // After a 401 too: the admin learns what is wrong with the file, not just "rejected".
    auto after_401 = source.refresh_after_unauthorized(kOldKey);
    ASSERT_FALSE(after_401.ok());
    EXPECT_EQ(after_401.error().kind, ErrorKind::kConfig);

    replace_file(file, std::string(kNewKey) + "\n");
    auto fixed = source.access_token();
    ASSERT_TRUE(fixed.ok()) << fixed.error().describe();
    EXPECT_EQ(*fixed, kNewKey);
}

TEST_F(StaticTokenSourceTest, AFileWithoutReadPermissionIsNamed) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads mode-000 files";
    replace_file(file, std::string(kNewKey) + "\n", 0000);
    auto token = source.access_token();
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("cannot read access_token_file '" + file +
                                         "': Permission denied"),
              std::string::npos)
        << token.error().message;
    EXPECT_NE(token.error().hint.find("readable by the user hubsync runs as"), std::string::npos);
}

TEST(StaticTokenSourceWithoutFile, ServesTheGivenTokenAndExplainsA401) {
    StaticTokenSource source("pat-na1-0000-secret");
    auto token = source.access_token();
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(*token, "pat-na1-0000-secret");
    auto after = source.refresh_after_unauthorized(*token);
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(after.error().message.find("access_token_file"), std::string::npos);
    EXPECT_EQ(redact("token pat-na1-0000-secret"), "token [REDACTED]");
}

}  // namespace
}  // namespace hubsync
