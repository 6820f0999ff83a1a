// The simulator under concurrency: rate limits (10-second, search, daily) hold whatever the
// number of clients, answers are held for the configured latency without serialising each
// other, and every over-long request target gets 414. Real HTTP over loopback, keep-alive
// POCO clients; the rate window runs on a ManualClock, the latency in real time.
#include <gtest/gtest.h>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <latch>
#include <set>
#include <thread>

#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

const std::string kList = "/crm/v3/objects/contacts";
const std::string kSearch = "/crm/v3/objects/contacts/search";
const std::string kSearchBody = R"({"filterGroups":[],"limit":1})";

// One request on a keep-alive session (the session reconnects if the server closed it).
Reply call(Poco::Net::HTTPClientSession& session, const std::string& method,
           const std::string& target, const std::string& token, const std::string& body = {}) {
    Reply r;
    try {
        Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        req.set("Authorization", "Bearer " + token);
        if (method == "POST") {
            req.setContentType("application/json");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = session.receiveResponse(resp);
        r.status = resp.getStatus();
        for (const auto& [k, v] : resp) {
            std::string key = k;
            std::transform(key.begin(), key.end(), key.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            r.headers[key] = v;
        }
        Poco::StreamCopier::copyToString(in, r.body);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

std::string policy_of(const Reply& r) {
    return r.status == 429 ? r.json()->getValue<std::string>("policyName") : std::string();
}

// `clients` keep-alive clients send `total` requests between them, all starting together;
// request i is sent by `send(session, i)`. Returns each client's replies in the order it got
// them.
std::vector<std::vector<Reply>> burst(
    int port, int clients, int total,
    const std::function<Reply(Poco::Net::HTTPClientSession&, int)>& send) {
    std::vector<std::vector<Reply>> replies(static_cast<std::size_t>(clients));
    std::atomic<int> next{0};
    std::latch ready(clients);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
            session.setKeepAlive(true);
            session.setTimeout(Poco::Timespan(10, 0));
            ready.arrive_and_wait();
            for (int i = next++; i < total; i = next++)
                replies[static_cast<std::size_t>(c)].push_back(send(session, i));
        });
    }
    for (auto& t : threads)
        t.join();
    return replies;
}

std::vector<Reply> flatten(const std::vector<std::vector<Reply>>& per_client) {
    std::vector<Reply> all;
    for (const auto& replies : per_client)
        all.insert(all.end(), replies.begin(), replies.end());
    return all;
}

int count_passed(const std::vector<Reply>& replies) {
    return static_cast<int>(std::count_if(replies.begin(), replies.end(), [](const Reply& r) {
        EXPECT_TRUE(r.error.empty()) << r.error;
        return r.status != 429;
    }));
}

// The most requests answered with anything but 429 inside any window of `window_ms` on the
// simulator clock, over the logged requests whose path starts with `prefix`.
int most_passed_in_any_window(const std::vector<Simulator::RequestRecord>& log,
                              const std::string& prefix, bool search, std::int64_t window_ms) {
    std::vector<std::int64_t> passed;
    for (const auto& r : log) {
        const bool is_search = r.path.size() > 7 && r.path.ends_with("/search");
        if (r.path.rfind(prefix, 0) == 0 && is_search == search && r.status != 429)
            passed.push_back(to_epoch_ms(r.at));
    }
    std::sort(passed.begin(), passed.end());
    int most = 0;
    for (std::size_t end = 0, begin = 0; end < passed.size(); ++end) {
        while (passed[begin] <= passed[end] - window_ms)
            ++begin;
        most = std::max(most, static_cast<int>(end - begin + 1));
    }
    return most;
}

SimOptions small() {
    SimOptions o;
    o.contacts = 10;
    return o;
}

// Remaining, in the order one client got its answers, never goes up while the clock stands.
void expect_remaining_never_rises(const std::vector<std::vector<Reply>>& per_client) {
    for (const auto& replies : per_client) {
        int last = 1 << 30;
        for (const auto& r : replies) {
            const int remaining = std::stoi(r.header("x-hubspot-ratelimit-remaining"));
            EXPECT_LE(remaining, last);
            last = remaining;
        }
    }
}

// ---------------------------------------------------------------- ten-secondly

TEST(SimLimitsBurst, OneTokenNeverGetsMoreThanTheLimitThrough) {
    SimFixture f(small());
    const auto per_client = burst(f.port, 32, 200, [&](auto& session, int) {
        return call(session, "GET", kList + "?limit=1", f.token);
    });
    const auto all = flatten(per_client);
    ASSERT_EQ(all.size(), 200u);
    EXPECT_EQ(count_passed(all), 110);
    // Each passed request took one place: Remaining counts down 109..0 with no value twice.
    std::multiset<int> remaining;
    for (const auto& r : all) {
        EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "110");
        EXPECT_EQ(r.header("x-hubspot-ratelimit-interval-milliseconds"), "10000");
        if (r.status == 429) {
            EXPECT_EQ(policy_of(r), "TEN_SECONDLY_ROLLING");
            EXPECT_EQ(r.header("x-hubspot-ratelimit-remaining"), "0");
        } else {
            EXPECT_EQ(r.status, 200);
            remaining.insert(std::stoi(r.header("x-hubspot-ratelimit-remaining")));
        }
    }
    std::multiset<int> expected;
    for (int i = 0; i < 110; ++i)
        expected.insert(i);
    EXPECT_EQ(remaining, expected);
    expect_remaining_never_rises(per_client);
}

TEST(SimLimitsBurst, SeveralTokensOfOneAccountShareTheLimit) {
    SimOptions o = small();
    o.rate_limit = 100;  // a private app on a Starter plan
    SimFixture f(o);
    std::vector<std::string> tokens = {f.token};
    for (int i = 0; i < 3; ++i)
        tokens.push_back(f.sim->issue_tokens().access_token);
    const auto per_client = burst(f.port, 32, 200, [&](auto& session, int i) {
        return call(session, "GET", kList + "?limit=1", tokens[static_cast<std::size_t>(i) % 4]);
    });
    const auto all = flatten(per_client);
    EXPECT_EQ(count_passed(all), 100);
    for (const auto& r : all) {
        EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "100");
        if (r.status == 429) {
            EXPECT_EQ(policy_of(r), "TEN_SECONDLY_ROLLING");
        }
    }
    expect_remaining_never_rises(per_client);
}

// The clock moves while 16 clients send: the window rolls (more than the limit pass in all),
// yet no 10-second window of the simulator clock holds more than the limit.
TEST(SimLimitsBurst, RollingWindowHoldsWhileTheClockMoves) {
    SimFixture f(small());
    const auto all = flatten(burst(f.port, 16, 600, [&](auto& session, int) {
        Reply r = call(session, "GET", kList + "?limit=1", f.token);
        f.clock.advance(milliseconds(37));
        return r;
    }));
    EXPECT_GT(count_passed(all), 110);
    EXPECT_LE(most_passed_in_any_window(f.sim->requests(), kList, false, 10'000), 110);
}

// ---------------------------------------------------------------- search

TEST(SimLimitsSearch, FivePerSecondWhateverTheConcurrency) {
    SimFixture f(small());
    const auto all = flatten(burst(f.port, 16, 40, [&](auto& session, int) {
        return call(session, "POST", kSearch, f.token, kSearchBody);
    }));
    EXPECT_EQ(count_passed(all), 5);
    for (const auto& r : all) {
        EXPECT_FALSE(r.has_header("x-hubspot-ratelimit-remaining"));
        EXPECT_FALSE(r.has_header("x-hubspot-ratelimit-max"));
        if (r.status == 429) {
            EXPECT_EQ(policy_of(r), "SECONDLY");
        }
    }
    // Search stays outside the ten-second bucket.
    EXPECT_EQ(get(f.port, kList + "?limit=1", f.token).header("x-hubspot-ratelimit-remaining"),
              "109");
}

TEST(SimLimitsSearch, NoSecondHoldsMoreThanFiveWhileTheClockMoves) {
    SimFixture f(small());
    const auto all = flatten(burst(f.port, 16, 200, [&](auto& session, int) {
        Reply r = call(session, "POST", kSearch, f.token, kSearchBody);
        f.clock.advance(milliseconds(23));
        return r;
    }));
    EXPECT_GT(count_passed(all), 5);
    EXPECT_LE(most_passed_in_any_window(f.sim->requests(), kList, true, 1000), 5);
}

// ---------------------------------------------------------------- configuration

TEST(SimLimitsConfig, RateLimitSetsMaxAndChangesAtRuntime) {
    SimOptions o = small();
    o.rate_limit = 250;
    SimFixture f(o);
    auto r = get(f.port, kList + "?limit=1", f.token);
    EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "250");
    EXPECT_EQ(r.header("x-hubspot-ratelimit-remaining"), "249");
    EXPECT_FALSE(r.has_header("x-hubspot-ratelimit-daily"));  // no daily cap by default

    auto settings = http(f.port, "POST", "/_sim/settings", R"({"rate_limit":2})");
    ASSERT_EQ(settings.status, 200) << settings.body;
    EXPECT_EQ(settings.json()->getValue<int>("rate_limit"), 2);
    r = get(f.port, kList + "?limit=1", f.token);  // the window holds one already
    EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "2");
    EXPECT_EQ(r.header("x-hubspot-ratelimit-remaining"), "0");
    EXPECT_EQ(get(f.port, kList + "?limit=1", f.token).status, 429);
    f.sim->set_rate_limit(190);
    r = get(f.port, kList + "?limit=1", f.token);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "190");
    EXPECT_EQ(r.header("x-hubspot-ratelimit-remaining"), "187");
    EXPECT_EQ(http(f.port, "POST", "/_sim/settings", R"({"rate_limit":0})").status, 400);
}

// ---------------------------------------------------------------- daily

TEST(SimLimitsDaily, HeadersCapAndResetAtMidnight) {
    SimOptions o = small();
    o.daily_limit = 5;
    SimFixture f(o);
    f.clock.set(ManualClock::default_start() + std::chrono::hours(23) + std::chrono::minutes(59));
    f.token = f.sim->issue_tokens().access_token;
    for (int i = 0; i < 4; ++i) {
        auto r = get(f.port, kList + "?limit=1", f.token);
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.header("x-hubspot-ratelimit-daily"), "5");
        EXPECT_EQ(r.header("x-hubspot-ratelimit-daily-remaining"), std::to_string(4 - i));
    }
    // Search counts against the day too (without headers).
    EXPECT_EQ(post_json(f.port, kSearch, kSearchBody, f.token).status, 200);
    auto over = get(f.port, kList + "?limit=1", f.token);
    ASSERT_EQ(over.status, 429);
    EXPECT_EQ(policy_of(over), "DAILY");
    EXPECT_EQ(over.json()->getValue<std::string>("errorType"), "RATE_LIMIT");
    EXPECT_EQ(over.header("x-hubspot-ratelimit-daily-remaining"), "0");
    auto search = post_json(f.port, kSearch, kSearchBody, f.token);
    EXPECT_EQ(policy_of(search), "DAILY");
    // Ten seconds free the window, not the day; midnight (UTC, simulator clock) frees the day.
    f.clock.advance(std::chrono::seconds(30));
    EXPECT_EQ(policy_of(get(f.port, kList + "?limit=1", f.token)), "DAILY");
    f.clock.advance(std::chrono::seconds(30));
    auto next_day = get(f.port, kList + "?limit=1", f.token);
    EXPECT_EQ(next_day.status, 200);
    EXPECT_EQ(next_day.header("x-hubspot-ratelimit-daily-remaining"), "4");
    // Off again: no daily headers.
    ASSERT_EQ(http(f.port, "POST", "/_sim/settings", R"({"daily_limit":0})").status, 200);
    EXPECT_FALSE(get(f.port, kList + "?limit=1", f.token).has_header("x-hubspot-ratelimit-daily"));
}

TEST(SimLimitsDaily, CapHoldsUnderConcurrency) {
    SimOptions o = small();
    o.daily_limit = 7;
    SimFixture f(o);
    const auto all = flatten(burst(f.port, 32, 100, [&](auto& session, int) {
        return call(session, "GET", kList + "?limit=1", f.token);
    }));
    EXPECT_EQ(count_passed(all), 7);
    std::set<std::string> daily_remaining;
    for (const auto& r : all) {
        if (r.status == 429) {
            EXPECT_EQ(policy_of(r), "DAILY");
        } else {
            daily_remaining.insert(r.header("x-hubspot-ratelimit-daily-remaining"));
        }
    }
    EXPECT_EQ(daily_remaining, (std::set<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
}

// ---------------------------------------------------------------- latency

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

TEST(SimLatency, HoldsEachAnswerForTheLatencyOnRealTimeOnly) {
    SimOptions o = small();
    o.latency = milliseconds(150);
    SimFixture f(o);
    const Instant before = f.clock.now();
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(f.port));
    for (int i = 0; i < 3; ++i) {
        const auto start = SteadyClock::now();
        EXPECT_EQ(call(session, "GET", kList + "?limit=1", f.token).status, 200);
        const double took = seconds_since(start);
        EXPECT_GE(took, 0.150);
        EXPECT_LT(took, 0.400);
    }
    EXPECT_EQ(f.clock.now(), before);  // the simulator clock did not move
    for (const auto& r : f.sim->requests())
        EXPECT_EQ(r.latency, std::chrono::microseconds(150'000));
    // Admin answers are not held.
    const auto start = SteadyClock::now();
    EXPECT_EQ(http(f.port, "GET", "/_sim/faults").status, 200);
    EXPECT_LT(seconds_since(start), 0.140);
}

std::vector<std::chrono::microseconds> held_latencies(std::uint64_t seed) {
    SimOptions o = small();
    o.seed = seed;
    o.latency = milliseconds(20);
    o.latency_jitter = milliseconds(10);
    SimFixture f(o);
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(f.port));
    for (int i = 0; i < 16; ++i)
        EXPECT_EQ(call(session, "GET", kList + "?limit=1", f.token).status, 200);
    std::vector<std::chrono::microseconds> out;
    for (const auto& r : f.sim->requests())
        out.push_back(r.latency);
    return out;
}

TEST(SimLatency, JitterStaysInRangeAndFollowsTheSeed) {
    const auto a = held_latencies(7);
    ASSERT_EQ(a.size(), 16u);
    for (const auto l : a) {
        EXPECT_GE(l, std::chrono::microseconds(10'000));
        EXPECT_LE(l, std::chrono::microseconds(30'000));
    }
    EXPECT_GT(std::set(a.begin(), a.end()).size(), 8u);
    EXPECT_EQ(held_latencies(7), a);
    EXPECT_NE(held_latencies(8), a);
}

TEST(SimLatency, ScalesWithTheResponseSize) {
    SimOptions o = small();
    o.contacts = 100;
    o.latency_per_kb_ms = 2;
    SimFixture f(o);
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(f.port));
    std::string props;
    for (const auto& d : f.sim->property_defs())
        props += (props.empty() ? "" : ",") + d.name;
    const auto start = SteadyClock::now();
    const Reply page = call(session, "GET", kList + "?limit=100&properties=" + props, f.token);
    const double took = seconds_since(start);
    ASSERT_EQ(page.status, 200);
    ASSERT_GT(page.body.size(), 20'000u);
    const Reply tiny = call(session, "GET", kList + "?limit=1", f.token);
    const auto log = f.sim->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].latency.count(), static_cast<std::int64_t>(2000 * page.body.size() / 1024));
    EXPECT_EQ(log[1].latency.count(), static_cast<std::int64_t>(2000 * tiny.body.size() / 1024));
    EXPECT_GE(took, static_cast<double>(log[0].latency.count()) / 1e6);
}

TEST(SimLatency, AdminSettingChangesItWhileRunning) {
    SimFixture f(small());
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(f.port));
    auto settings = http(f.port, "POST", "/_sim/settings",
                         R"({"latency_ms":200,"jitter_ms":0,"latency_per_kb_ms":0.5})");
    ASSERT_EQ(settings.status, 200) << settings.body;
    EXPECT_EQ(settings.json()->getValue<int>("latency_ms"), 200);
    EXPECT_EQ(settings.json()->getValue<double>("latency_per_kb_ms"), 0.5);
    auto start = SteadyClock::now();
    const Reply held = call(session, "GET", kList + "?limit=1", f.token);
    EXPECT_GE(seconds_since(start), 0.200);
    EXPECT_EQ(f.sim->requests().back().latency.count(),
              200'000 + static_cast<std::int64_t>(500 * held.body.size() / 1024));
    ASSERT_EQ(
        http(f.port, "POST", "/_sim/settings", R"({"latency_ms":0,"latency_per_kb_ms":0})").status,
        200);
    start = SteadyClock::now();
    EXPECT_EQ(call(session, "GET", kList + "?limit=1", f.token).status, 200);
    EXPECT_LT(seconds_since(start), 0.190);
    EXPECT_EQ(f.sim->requests().back().latency.count(), 0);
    EXPECT_EQ(http(f.port, "POST", "/_sim/settings", R"({"jitter_ms":-1})").status, 400);
}

// 64 keep-alive clients, connected first, then each with one request held 300 ms: all are
// held at the same time, so the whole burst takes about one latency, not 64 / threads of them.
TEST(SimLatency, SixtyFourConcurrentRequestsAreNotSerialised) {
    SimOptions o = small();
    o.rate_limits = false;
    SimFixture f(o);
    constexpr int kClients = 64;
    std::latch connected(kClients + 1), go(1);
    std::vector<double> took(kClients);
    std::vector<int> status(kClients);
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
        threads.emplace_back([&, c] {
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(f.port));
            session.setKeepAlive(true);
            call(session, "GET", kList + "?limit=1", f.token);  // opens the connection
            connected.count_down();
            go.wait();
            const auto start = SteadyClock::now();
            status[static_cast<std::size_t>(c)] =
                call(session, "GET", kList + "?limit=1", f.token).status;
            took[static_cast<std::size_t>(c)] = seconds_since(start);
        });
    }
    connected.arrive_and_wait();
    f.sim->set_latency(milliseconds(300));
    const auto start = SteadyClock::now();
    go.count_down();
    for (auto& t : threads)
        t.join();
    const double all = seconds_since(start);
    for (int c = 0; c < kClients; ++c) {
        EXPECT_EQ(status[static_cast<std::size_t>(c)], 200);
        EXPECT_GE(took[static_cast<std::size_t>(c)], 0.300);
    }
    // Served one after another they would take 64 x 0.3 = 19.2 s; the bound leaves room for a
    // loaded machine or a sanitizer build while still failing anything close to serialised.
    EXPECT_LT(all, 3.0) << "64 held requests took " << all << " s";
}

// The request counts and is logged when it arrives: the clock jumping while the answer is
// held changes neither its logged instant nor its place in the window.
TEST(SimLatency, RequestCountsWhenItArrivesBeforeTheHold) {
    SimOptions o = small();
    o.latency = milliseconds(300);
    SimFixture f(o);
    const Instant arrived = f.clock.now();
    Reply held;
    std::thread client([&] { held = get(f.port, kList + "?limit=1", f.token); });
    const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (f.sim->requests_served() == 0 && SteadyClock::now() < deadline)
        std::this_thread::yield();
    ASSERT_EQ(f.sim->requests_served(), 1u);  // logged while its answer is still held
    f.clock.advance(std::chrono::seconds(10));
    client.join();
    EXPECT_EQ(held.status, 200);
    EXPECT_EQ(held.header("x-hubspot-ratelimit-remaining"), "109");
    EXPECT_EQ(f.sim->requests().front().at, arrived);
    // Ten seconds after its arrival it has left the window.
    EXPECT_EQ(http(f.port, "POST", "/_sim/settings", R"({"latency_ms":0})").status, 200);
    EXPECT_EQ(get(f.port, kList + "?limit=1", f.token).header("x-hubspot-ratelimit-remaining"),
              "109");
}

TEST(SimLatency, StopDoesNotWaitForHeldAnswers) {
    SimOptions o = small();
    o.latency = milliseconds(20'000);
    SimFixture f(o);
    Reply held;
    std::thread client([&] { held = get(f.port, kList + "?limit=1", f.token); });
    const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (f.sim->requests_served() == 0 && SteadyClock::now() < deadline)
        std::this_thread::yield();
    const auto start = SteadyClock::now();
    f.sim->stop();
    EXPECT_LT(seconds_since(start), 2.0);
    client.join();
    EXPECT_NE(held.status, 200);
}

// ---------------------------------------------------------------- over-long URLs

TEST(SimLongUrl, EveryOverLongTargetGets414) {
    SimFixture f(small());
    auto target_of = [](std::size_t length) {
        std::string target = kList + "?limit=1&x=";
        target.resize(length, 'a');
        return target;
    };
    const Reply reference = get(f.port, target_of(8193), f.token);
    ASSERT_EQ(reference.status, 414);
    EXPECT_EQ(reference.header("content-type"), "text/html");
    EXPECT_NE(reference.body.find("414 Request-URI Too Large"), std::string::npos);
    for (const std::size_t length :
         {std::size_t{16384}, std::size_t{16385}, std::size_t{65536}, std::size_t{1} << 20}) {
        const Reply r = get(f.port, target_of(length), f.token);
        EXPECT_EQ(r.status, 414) << length << " " << r.error;
        EXPECT_EQ(r.reason, "URI Too Long") << length;
        EXPECT_EQ(r.body, reference.body) << length;
        EXPECT_EQ(r.header("content-type"), "text/html") << length;
        EXPECT_TRUE(r.error.empty()) << length << ": " << r.error;
    }
    EXPECT_EQ(get(f.port, target_of(8192), f.token).status, 200);
    EXPECT_EQ(f.sim->count_status(414), 5);
}

// ---------------------------------------------------------------- the executable

TEST(SimLimitsProcess, FlagsReachTheServer) {
    const std::string exe = std::string(HUBSYNC_BINARY_DIR) + "/sim/hubspot-sim";
    ASSERT_TRUE(std::filesystem::exists(exe)) << exe;
    Poco::Pipe out;
    Poco::ProcessHandle ph = Poco::Process::launch(
        exe,
        {"--port", "0", "--contacts", "5", "--rate-limit", "190", "--daily-limit", "1000",
         "--latency", "40:10", "--latency-per-kb", "0.25", "--max-connections", "80"},
        nullptr, &out, nullptr);
    Poco::PipeInputStream in(out);
    std::string line;
    std::getline(in, line);
    const std::string prefix = "listening on http://127.0.0.1:";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    const int port = std::stoi(line.substr(prefix.size()));
    auto settings = http(port, "POST", "/_sim/settings", "{}");
    ASSERT_EQ(settings.status, 200);
    auto s = settings.json();
    EXPECT_EQ(s->getValue<int>("rate_limit"), 190);
    EXPECT_EQ(s->getValue<int>("daily_limit"), 1000);
    EXPECT_EQ(s->getValue<int>("latency_ms"), 40);
    EXPECT_EQ(s->getValue<int>("jitter_ms"), 10);
    EXPECT_EQ(s->getValue<double>("latency_per_kb_ms"), 0.25);
    auto token = http(port, "POST", "/_sim/tokens", "{}", "application/json")
                     .json()
                     ->getValue<std::string>("access_token");
    const auto start = SteadyClock::now();
    auto r = get(port, kList + "?limit=1", token);
    EXPECT_GE(seconds_since(start), 0.030);
    EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "190");
    EXPECT_EQ(r.header("x-hubspot-ratelimit-daily"), "1000");
    EXPECT_EQ(r.header("x-hubspot-ratelimit-daily-remaining"), "999");
    ::kill(ph.id(), SIGTERM);
    EXPECT_EQ(ph.wait(), 0);

    for (const char* bad : {"x", "10:y", "-5"}) {
        Poco::Pipe err;
        Poco::ProcessHandle p =
            Poco::Process::launch(exe, {"--port", "0", "--latency", bad}, nullptr, nullptr, &err);
        EXPECT_EQ(p.wait(), 64) << bad;
    }
}

}  // namespace
}  // namespace hubsync::sim::testing
