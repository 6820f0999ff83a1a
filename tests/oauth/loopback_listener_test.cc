// The loopback listener with a real HTTP client: success, state mismatch, denied consent,
// wrong path, timeout, and loopback-only binding.
#include "oauth/loopback_listener.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

namespace hubsync {
namespace {

using namespace std::chrono_literals;

struct Reply {
    int status = 0;
    std::string body;
};

Reply get(int port, const std::string& path_and_query, const std::string& host = "127.0.0.1") {
    Poco::Net::HTTPClientSession session(host, static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path_and_query,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Reply reply;
    reply.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

std::unique_ptr<LoopbackListener> start(const std::string& redirect, const std::string& state) {
    auto url = parse_url(redirect);
    EXPECT_TRUE(url.ok());
    auto listener = LoopbackListener::start(*url, ListenerOptions{true});
    EXPECT_TRUE(listener.ok()) << listener.error().describe();
    if (!listener.ok()) return nullptr;
    (*listener)->set_expected_state(state);
    return std::move(listener).value();
}

TEST(LoopbackListener, ReturnsTheCodeOfAValidRedirect) {
    auto listener = start("http://127.0.0.1:8976/callback", "st-1");
    ASSERT_TRUE(listener);
    const Reply reply = get(listener->port(), "/callback?code=the-code&state=st-1");
    EXPECT_EQ(reply.status, 200);
    EXPECT_NE(reply.body.find("authorized"), std::string::npos);
    auto code = listener->wait(5s);
    ASSERT_TRUE(code.ok()) << code.error().describe();
    EXPECT_EQ(*code, "the-code");
    EXPECT_EQ(listener->redirect_uri(),
              "http://127.0.0.1:" + std::to_string(listener->port()) + "/callback");
}

TEST(LoopbackListener, WrongPathGets404AndTheWaitGoesOn) {
    auto listener = start("http://127.0.0.1:8976/callback", "st-1");
    ASSERT_TRUE(listener);
    EXPECT_EQ(get(listener->port(), "/favicon.ico").status, 404);
    EXPECT_EQ(get(listener->port(), "/callbackx?code=c&state=st-1").status, 404);
    EXPECT_EQ(get(listener->port(), "/callback").status, 400);  // a bare visit, not a redirect
    EXPECT_FALSE(listener->wait(50ms).ok());                    // still waiting
    EXPECT_EQ(get(listener->port(), "/callback?code=c2&state=st-1").status, 200);
    auto code = listener->wait(5s);
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, "c2");
}

TEST(LoopbackListener, StateMismatchEndsTheWaitWithAnError) {
    auto listener = start("http://127.0.0.1:8976/callback", "st-1");
    ASSERT_TRUE(listener);
    const Reply reply = get(listener->port(), "/callback?code=c&state=forged");
    EXPECT_EQ(reply.status, 400);
    EXPECT_NE(reply.body.find("failed"), std::string::npos);
    auto code = listener->wait(5s);
    ASSERT_FALSE(code.ok());
    EXPECT_EQ(code.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(code.error().message.find("state"), std::string::npos);
    // Later requests are told the attempt is over.
    EXPECT_EQ(get(listener->port(), "/callback?code=c&state=st-1").status, 409);
}

TEST(LoopbackListener, DeniedConsentEndsTheWaitWithAnError) {
    auto listener = start("http://127.0.0.1:8976/callback", "st-1");
    ASSERT_TRUE(listener);
    const Reply reply =
        get(listener->port(),
            "/callback?error=access_denied&error_description=The+user+declined&state=st-1");
    EXPECT_EQ(reply.status, 400);
    EXPECT_NE(reply.body.find("access_denied"), std::string::npos);
    auto code = listener->wait(5s);
    ASSERT_FALSE(code.ok());
    EXPECT_NE(code.error().message.find("access_denied"), std::string::npos);
}

TEST(LoopbackListener, TimesOut) {
    auto listener = start("http://127.0.0.1:8976/callback", "st-1");
    ASSERT_TRUE(listener);
    const auto started = std::chrono::steady_clock::now();
    auto code = listener->wait(200ms);
    ASSERT_FALSE(code.ok());
    EXPECT_EQ(code.error().kind, ErrorKind::kTransient);
    EXPECT_NE(code.error().message.find("no redirect arrived"), std::string::npos);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
}

TEST(LoopbackListener, StopRequestCancelsTheWait) {
    auto listener = start("http://127.0.0.1:8976/callback", "st-1");
    ASSERT_TRUE(listener);
    StopSource stop;
    stop.request_stop();
    auto code = listener->wait(5min, &stop);
    ASSERT_FALSE(code.ok());
    EXPECT_EQ(code.error().kind, ErrorKind::kCancelled);
}

TEST(LoopbackListener, BindsLoopbackOnly) {
    auto v4 = start("http://127.0.0.1:8976/callback", "s");
    ASSERT_TRUE(v4);
    ASSERT_EQ(v4->bound_addresses().size(), 1u);
    EXPECT_EQ(v4->bound_addresses()[0], "127.0.0.1:" + std::to_string(v4->port()));

    auto named = start("http://localhost:8976/callback", "s");
    ASSERT_TRUE(named);
    ASSERT_GE(named->bound_addresses().size(), 1u);
    for (const auto& address : named->bound_addresses()) {
        EXPECT_TRUE(address.starts_with("127.0.0.1:") || address.starts_with("[::1]:")) << address;
        EXPECT_EQ(address.find("0.0.0.0"), std::string::npos);
    }
    EXPECT_EQ(get(named->port(), "/callback?code=c&state=s", "127.0.0.1").status, 200);
}

TEST(LoopbackListener, RefusesNonLoopbackAndHttpsRedirects) {
    auto remote = LoopbackListener::start(*parse_url("http://example.com:8976/callback"));
    ASSERT_FALSE(remote.ok());
    EXPECT_EQ(remote.error().kind, ErrorKind::kConfig);
    EXPECT_NE(remote.error().hint.find("--paste"), std::string::npos);
    auto https = LoopbackListener::start(*parse_url("https://localhost:8976/callback"));
    ASSERT_FALSE(https.ok());
    EXPECT_NE(https.error().hint.find("--paste"), std::string::npos);
}

TEST(LoopbackListener, PortInUseIsAClearError) {
    Poco::Net::ServerSocket busy(Poco::Net::SocketAddress("127.0.0.1", 0));
    const int port = busy.address().port();
    auto listener = LoopbackListener::start(
        *parse_url("http://127.0.0.1:" + std::to_string(port) + "/callback"));
    ASSERT_FALSE(listener.ok());
    EXPECT_EQ(listener.error().kind, ErrorKind::kConfig);
    EXPECT_NE(listener.error().message.find(std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace hubsync
