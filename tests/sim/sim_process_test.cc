// The hubspot-sim executable as a real process (ready line, clean exit on SIGTERM) and HTTPS
// with a throwaway CA, verified for real by the client.
#include <gtest/gtest.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/TemporaryFile.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "sim_test_util.h"
#include "support/temp_dir.h"

namespace hubsync::sim::testing {
namespace {

TEST(SimProcess, PrintsListeningLineServesAndExitsCleanlyOnSigterm) {
    const std::string exe = std::string(HUBSYNC_BINARY_DIR) + "/sim/hubspot-sim";
    ASSERT_TRUE(std::filesystem::exists(exe)) << exe;
    Poco::Pipe out;
    Poco::ProcessHandle ph = Poco::Process::launch(
        exe,
        {"--port", "0", "--contacts", "25", "--seed", "7", "--auto-consent", "--no-rate-limits"},
        nullptr, &out, nullptr);
    Poco::PipeInputStream in(out);
    std::string line;
    std::getline(in, line);
    const std::string prefix = "listening on http://127.0.0.1:";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    const int port = std::stoi(line.substr(prefix.size()));
    auto tokens = http(port, "POST", "/_sim/tokens", "{}", "application/json");
    ASSERT_EQ(tokens.status, 200);
    auto dump = http(port, "GET", "/_sim/contacts");
    EXPECT_EQ(dump.json()->getValue<int>("total"), 25);
    auto page = get(port, "/crm/v3/objects/contacts?limit=100",
                    tokens.json()->getValue<std::string>("access_token"));
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(ids_of(page.json()).size(), 25u);
    // Same seed in-process gives the same data.
    SimOptions o;
    o.contacts = 25;
    o.seed = 7;
    Simulator same(o);
    EXPECT_EQ(same.truth(false).front().id, std::stoll(ids_of(page.json()).front()));
    ::kill(ph.id(), SIGTERM);
    EXPECT_EQ(ph.wait(), 0);
}

TEST(SimProcess, BadUsageExits64) {
    const std::string exe = std::string(HUBSYNC_BINARY_DIR) + "/sim/hubspot-sim";
    Poco::Pipe err;
    Poco::ProcessHandle ph =
        Poco::Process::launch(exe, {"--contacts", "x"}, nullptr, nullptr, &err);
    EXPECT_EQ(ph.wait(), 64);
}

TEST(SimProcess, LegacyOffFlagAndHelp) {
    const std::string exe = std::string(HUBSYNC_BINARY_DIR) + "/sim/hubspot-sim";
    Poco::Pipe help_out;
    Poco::ProcessHandle help = Poco::Process::launch(exe, {"--help"}, nullptr, &help_out, nullptr);
    Poco::PipeInputStream help_in(help_out);
    std::string text;
    Poco::StreamCopier::copyToString(help_in, text);
    EXPECT_EQ(help.wait(), 0);
    EXPECT_NE(text.find("--legacy-off"), std::string::npos) << text;
    EXPECT_NE(text.find("2026-03, 2026-09"), std::string::npos) << text;

    Poco::Pipe out;
    Poco::ProcessHandle ph = Poco::Process::launch(
        exe, {"--port", "0", "--contacts", "5", "--legacy-off"}, nullptr, &out, nullptr);
    Poco::PipeInputStream in(out);
    std::string line;
    std::getline(in, line);
    const std::string prefix = "listening on http://127.0.0.1:";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    const int port = std::stoi(line.substr(prefix.size()));
    const std::string token = http(port, "POST", "/_sim/tokens", "{}", "application/json")
                                  .json()
                                  ->getValue<std::string>("access_token");
    EXPECT_EQ(get(port, "/crm/v3/objects/contacts", token).status, 404);
    EXPECT_EQ(get(port, "/crm/objects/2026-09/contacts", token).status, 200);
    ::kill(ph.id(), SIGTERM);
    EXPECT_EQ(ph.wait(), 0);
}

class TlsDir {
  public:
    TlsDir() {
        const std::string& d = dir_.path();
        std::ofstream(d + "/ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
        const std::string cmd = "cd " + d +
                                " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out "
                                "ca.pem -days 2 -subj /CN=sim-test-ca"
                                " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out "
                                "server.csr -subj /CN=127.0.0.1"
                                " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
                                "-CAcreateserial -out server.pem -days 2 -extfile ext.cnf";
        ok_ = std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()) == 0;
    }
    bool ok() const { return ok_; }
    std::string path(const char* name) const { return dir_.file(name); }

  private:
    hubsync::testing::TempDir dir_{"sim-tls"};
    bool ok_ = false;
};

Poco::Net::Context::Ptr client_context(const std::string& ca) {
    return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca,
                                  Poco::Net::Context::VERIFY_STRICT, 9, ca.empty());
}

int https_get(int port, Poco::Net::Context::Ptr ctx, const std::string& token) {
    Poco::Net::HTTPSClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port), ctx);
    Poco::Net::HTTPRequest req("GET", "/crm/v3/objects/contacts?limit=1",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
    return resp.getStatus();
}

TEST(SimTls, ServesHttpsWithTheGivenCertificate) {
    TlsDir tls;
    if (!tls.ok()) GTEST_SKIP() << "openssl could not make a test CA";
    SimOptions o;
    o.contacts = 5;
    o.tls_cert_file = tls.path("server.pem");
    o.tls_key_file = tls.path("server.key");
    SimFixture f(o);
    EXPECT_EQ(f.sim->base_url().rfind("https://127.0.0.1:", 0), 0u);
    EXPECT_EQ(https_get(f.port, client_context(tls.path("ca.pem")), f.token), 200);
    // A client that does not trust the throwaway CA refuses the connection.
    EXPECT_ANY_THROW(https_get(f.port, client_context(""), f.token));
}

}  // namespace
}  // namespace hubsync::sim::testing
