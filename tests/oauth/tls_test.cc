// TLS of the token endpoint client: the simulator serving HTTPS with a certificate from a
// throwaway CA is refused by default, accepted with ca_file, and refused for a wrong host name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "http/transport.h"
#include "oauth/token_client.h"
#include "sim/simulator.h"
#include "test_util.h"

namespace hubsync {
namespace {

using testing::TempDir;

class TlsTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        const std::string d = dir_->path();
        // A CA, and two server certificates it signs: one for 127.0.0.1, one for another name.
        const std::string script =
            "cd '" + d +
            "' && "
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
            "  -subj '/CN=hubsync test CA' >/dev/null 2>&1 && "
            "for n in good wrong; do "
            "  openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr "
            "    -subj \"/CN=$n\" >/dev/null 2>&1 || exit 1; "
            "done && "
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > good.ext && "
            "printf 'subjectAltName=DNS:other.example\\n' > wrong.ext && "
            "for n in good wrong; do "
            "  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
            "    -extfile $n.ext -out $n.pem >/dev/null 2>&1 || exit 1; "
            "done";
        ok_ = std::system(script.c_str()) == 0;
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }

    void start(const std::string& name) {
        ASSERT_TRUE(ok_) << "openssl could not create the test certificates";
        sim::SimOptions o;
        o.clock = &clock;
        o.contacts = 1;
        o.tls_cert_file = dir_->file(name + ".pem");
        o.tls_key_file = dir_->file(name + ".key");
        sim = std::make_unique<sim::Simulator>(o);
        ASSERT_TRUE(sim->start().ok());
        ASSERT_EQ(sim->base_url().rfind("https://", 0), 0u) << sim->base_url();
    }

    Result<TokenResponse> refresh(const std::string& ca_file) {
        TransportOptions options;
        options.ca_file = ca_file;
        options.connect_timeout = std::chrono::milliseconds(5000);
        options.io_timeout = std::chrono::milliseconds(5000);
        auto transport = make_poco_transport(options);
        TokenClient client(*transport, {sim->base_url() + "/oauth/2026-03/token", "sim-client-id",
                                        "sim-client-secret"});
        return client.refresh(sim->issue_tokens().refresh_token);
    }

    static inline TempDir* dir_ = nullptr;
    static inline bool ok_ = false;
    ManualClock clock;
    std::unique_ptr<sim::Simulator> sim;
};

TEST_F(TlsTest, UntrustedCertificateIsRefusedAndNotRetryable) {
    start("good");
    auto result = refresh("");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::kConfig) << result.error().describe();
    EXPECT_NE(result.error().hint.find("ca_file"), std::string::npos) << result.error().describe();
}

TEST_F(TlsTest, CaFileMakesItTrusted) {
    start("good");
    auto result = refresh(dir_->file("ca.pem"));
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_FALSE(result->access_token.empty());
}

TEST_F(TlsTest, WrongHostNameIsRefusedEvenWithTheCa) {
    start("wrong");
    auto result = refresh(dir_->file("ca.pem"));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::kConfig) << result.error().describe();
}

}  // namespace
}  // namespace hubsync
