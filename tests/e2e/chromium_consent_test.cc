// The OAuth consent flow with a real browser: `hubsync authorize` prints the URL, headless
// Chromium opens it, clicks Approve on the simulator's consent page and follows the redirect
// to hubsync's loopback listener, which finishes the flow and stores the tokens.
#include <netinet/in.h>
#include <sys/stat.h>

#include <Poco/JSON/Stringifier.h>

#include "e2e/service_fixture.h"

namespace hubsync::e2e {
namespace {

const char* const kChromium = "/usr/bin/chromium";

// The Chrome DevTools protocol over --remote-debugging-pipe: JSON messages ending in a NUL
// byte, commands written to the browser's fd 3, answers and events read from its fd 4.
class DevToolsPipe final {
  public:
    DevToolsPipe(int to_browser, int from_browser) : to_(to_browser), from_(from_browser) {}

    // Sends a command and waits for its answer; returns its "result" (nullptr on an error or a
    // timeout, with the reason in last_error()).
    Poco::JSON::Object::Ptr call(const std::string& method, Poco::JSON::Object params,
                                 const std::string& session, SteadyClock::time_point deadline) {
        const int id = next_id_++;
        Poco::JSON::Object message;
        message.set("id", id);
        message.set("method", method);
        message.set("params", params);
        if (!session.empty()) message.set("sessionId", session);
        std::ostringstream text;
        message.stringify(text);
        std::string bytes = text.str();
        bytes.push_back('\0');
        if (::write(to_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
            error_ = "cannot write to the browser";
            return nullptr;
        }
        for (;;) {
            auto reply = next(deadline);
            if (!reply) {
                error_ = "no answer to " + method;
                return nullptr;
            }
            if (!reply->has("id")) {
                events_.push_back(reply);
                continue;
            }
            if (reply->getValue<int>("id") != id) continue;
            if (reply->has("error")) {
                std::ostringstream e;
                reply->getObject("error")->stringify(e);
                error_ = method + ": " + e.str();
                return nullptr;
            }
            return reply->getObject("result");
        }
    }

    // Waits for an event named `method` not consumed yet.
    bool wait_event(const std::string& method, SteadyClock::time_point deadline) {
        for (;;) {
            for (auto it = events_.begin(); it != events_.end(); ++it) {
                if ((*it)->getValue<std::string>("method") == method) {
                    events_.erase(it);
                    return true;
                }
            }
            auto message = next(deadline);
            if (!message) return false;
            if (!message->has("id")) events_.push_back(message);
        }
    }

    const std::string& last_error() const { return error_; }

  private:
    Poco::JSON::Object::Ptr next(SteadyClock::time_point deadline) {
        for (;;) {
            const auto end = buffer_.find('\0');
            if (end != std::string::npos) {
                const std::string text = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                try {
                    return parse_json_object(text);
                } catch (const std::exception&) {
                    continue;
                }
            }
            pollfd p{from_, POLLIN, 0};
            const int left = millis_until(deadline);
            if (left == 0 || ::poll(&p, 1, left) <= 0) return nullptr;
            char chunk[65536];
            const ssize_t n = ::read(from_, chunk, sizeof chunk);
            if (n <= 0) return nullptr;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    int to_, from_;
    int next_id_ = 1;
    std::string buffer_;
    std::string error_;
    std::vector<Poco::JSON::Object::Ptr> events_;
};

unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

std::string js_string(const std::string& s) {
    Poco::JSON::Array a;
    a.add(s);
    std::ostringstream out;
    a.stringify(out);
    const std::string text = out.str();
    return text.substr(1, text.size() - 2);
}

TEST(ChromiumConsent, HeadlessChromiumClicksApproveAndTheListenerFinishesTheFlow) {
    if (::access(kChromium, X_OK) != 0) GTEST_SKIP() << kChromium << " is not installed";
    HardTimeout limit(90s, "HeadlessChromiumClicksApproveAndTheListenerFinishesTheFlow");
    TempDir dir;

    sim::SimOptions so;
    so.contacts = 10;
    so.client_id = "e2e-client-id";
    so.client_secret = "e2e-client-secret-" + std::to_string(::getpid());
    so.auto_consent = false;
    sim::Simulator sim(so);
    ASSERT_TRUE(sim.start().ok());

    const int port = free_loopback_port();
    ASSERT_GT(port, 0);
    const std::string redirect_uri = "http://127.0.0.1:" + std::to_string(port) + "/callback";
    write_file(dir / "client_secret", so.client_secret + "\n",
               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const std::string state_dir = dir / "state";
    const std::string config = dir / "hubsync.conf";
    write_file(config,
               "[hubspot]\nclient_id = " + so.client_id +
                   "\nclient_secret_file = " + (dir / "client_secret") +
                   "\nredirect_uri = " + redirect_uri + "\nauthorize_url = " + sim.base_url() +
                   "/oauth/authorize\napi_base_url = " + sim.base_url() + "\n[sync]\ndatabase = " +
                   (dir / "hubspot.db") + "\nstate_dir = " + state_dir + "\n[log]\nlevel = info\n",
               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

    SpawnOptions authorize_options;
    authorize_options.env["HUBSYNC_AUTHORIZE_TIMEOUT"] = "60s";
    ChildProcess authorize(kHubsync, {"--config", config, "authorize"}, authorize_options);
    const std::string prefix = sim.base_url() + "/oauth/authorize?";
    ASSERT_TRUE(authorize.wait_for_out("Waiting up to", 20s)) << "no authorize URL; stdout:\n"
                                                              << authorize.out() << "\nstderr:\n"
                                                              << authorize.err();
    const std::string printed = authorize.out();
    const auto start = printed.find(prefix);
    ASSERT_NE(start, std::string::npos) << printed;
    const std::string url = printed.substr(start, printed.find_first_of(" \n", start) - start);

    // The browser, driven over a pipe: no extra packages, no debugging port.
    int to_browser[2], from_browser[2];
    ASSERT_EQ(::pipe2(to_browser, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(from_browser, O_CLOEXEC), 0);
    SpawnOptions browser_options;
    browser_options.own_process_group = true;
    browser_options.fds = {{to_browser[0], 3}, {from_browser[1], 4}};
    ChildProcess browser(
        kChromium,
        {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--no-default-browser-check", "--no-proxy-server",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--user-data-dir=" + (dir / "chromium"), "--remote-debugging-pipe",
         "about:blank"},
        browser_options);
    ::close(to_browser[0]);
    ::close(from_browser[1]);
    DevToolsPipe devtools(to_browser[1], from_browser[0]);
    const auto deadline = SteadyClock::now() + 45s;

    Poco::JSON::Object create;
    create.set("url", "about:blank");
    auto target = devtools.call("Target.createTarget", create, "", deadline);
    ASSERT_TRUE(target) << devtools.last_error() << "\nchromium stderr:\n" << browser.err();
    Poco::JSON::Object attach;
    attach.set("targetId", target->getValue<std::string>("targetId"));
    attach.set("flatten", true);
    auto attached = devtools.call("Target.attachToTarget", attach, "", deadline);
    ASSERT_TRUE(attached) << devtools.last_error();
    const std::string session = attached->getValue<std::string>("sessionId");
    ASSERT_TRUE(devtools.call("Page.enable", Poco::JSON::Object(), session, deadline))
        << devtools.last_error();

    Poco::JSON::Object navigate;
    navigate.set("url", url);
    auto navigated = devtools.call("Page.navigate", navigate, session, deadline);
    ASSERT_TRUE(navigated) << devtools.last_error();
    ASSERT_FALSE(navigated->has("errorText")) << "the consent page did not load";
    ASSERT_TRUE(devtools.wait_event("Page.loadEventFired", deadline)) << devtools.last_error();

    // A real click on the form's button, as a person would.
    Poco::JSON::Object click;
    click.set("expression",
              "(() => { const b = document.getElementById('approve');"
              " if (!b) return 'no approve button on ' + location.href + ': ' +"
              " document.body.innerText; b.click(); return 'clicked'; })()");
    click.set("returnByValue", true);
    auto clicked = devtools.call("Runtime.evaluate", click, session, deadline);
    ASSERT_TRUE(clicked) << devtools.last_error();
    EXPECT_EQ(clicked->getObject("result")->getValue<std::string>("value"), "clicked");

    // The form posts to the simulator, which redirects the browser to hubsync's listener.
    const auto code = authorize.finish(40s);
    ASSERT_TRUE(code.has_value()) << "hubsync authorize did not finish; stdout:\n"
                                  << authorize.out() << "\nstderr:\n"
                                  << authorize.err();
    EXPECT_EQ(*code, 0) << authorize.out() << authorize.err();
    EXPECT_NE(authorize.out().find("Authorized hub"), std::string::npos) << authorize.out();

    // What the browser shows afterwards: the listener's own page, on the redirect URI.
    EXPECT_TRUE(devtools.wait_event("Page.loadEventFired", deadline)) << devtools.last_error();
    {
        Poco::JSON::Object where;
        where.set("expression", "location.href + ' | ' + document.body.innerText");
        where.set("returnByValue", true);
        auto shown = devtools.call("Runtime.evaluate", where, session, deadline);
        ASSERT_TRUE(shown) << devtools.last_error();
        const std::string page = shown->getObject("result")->getValue<std::string>("value");
        EXPECT_EQ(page.rfind(redirect_uri + "?", 0), 0u) << page;
    }
    (void)devtools.call("Browser.close", Poco::JSON::Object(), "", SteadyClock::now() + 5s);
    ::close(to_browser[1]);
    ::close(from_browser[0]);
    EXPECT_TRUE(browser.wait_exit(10s).has_value()) << "chromium did not close";

    // The tokens: a 0600 file in a 0700 directory, and the simulator saw the code exchange.
    const std::string said = authorize.out();
    const auto saved_at = said.find("Tokens saved in ");
    ASSERT_NE(saved_at, std::string::npos) << said;
    const auto path_at = saved_at + std::string("Tokens saved in ").size();
    const std::string store = said.substr(path_at, said.find(" (", path_at) - path_at);
    EXPECT_EQ(store.rfind(state_dir + "/", 0), 0u) << "tokens live in state_dir: " << store;
    ASSERT_TRUE(std::filesystem::exists(store)) << store;
    EXPECT_EQ(mode_of(std::filesystem::path(store).parent_path().string()), 0700u);
    EXPECT_EQ(mode_of(store), 0600u);
    int exchanges = 0;
    for (const auto& r : sim.requests())
        if (r.method == "POST" && r.path.rfind("/oauth/", 0) == 0 &&
            r.path.find("token") != std::string::npos && r.status == 200)
            ++exchanges;
    EXPECT_GE(exchanges, 1) << "the simulator never answered a token exchange";

    // Neither the tokens nor the client secret ever reach what hubsync prints.
    auto stored = parse_json_object(read_file(store));
    std::vector<std::string> secrets = {so.client_secret};
    for (const char* key : {"access_token", "refresh_token"})
        if (stored->has(key)) secrets.push_back(stored->getValue<std::string>(key));
    EXPECT_EQ(secrets.size(), 3u) << read_file(store);
    std::string printed_everything = authorize.out() + authorize.err();
    for (const bool json : {false, true}) {
        std::vector<std::string> args = {"--config", config, "status"};
        if (json) args.push_back("--json");
        ChildProcess status(kHubsync, args);
        const auto status_code = status.finish(30s);
        ASSERT_TRUE(status_code.has_value());
        EXPECT_EQ(*status_code, 0) << status.err();
        printed_everything += status.out() + status.err();
        if (json) {
            auto root = parse_json_object(status.out());
            EXPECT_EQ(root->getObject("authorization")->getValue<std::string>("state"), "ok");
            EXPECT_EQ(root->getObject("authorization")->getValue<std::int64_t>("hub_id"),
                      so.hub_id);
        }
    }
    for (const auto& secret : secrets)
        EXPECT_EQ(printed_everything.find(secret), std::string::npos)
            << "a secret was printed: " << js_string(secret.substr(0, 6)) << "...";
}

}  // namespace
}  // namespace hubsync::e2e
