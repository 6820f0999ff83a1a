// `hubsync run` as systemd runs it: the notify datagrams (READY, STATUS, WATCHDOG cadence,
// STOPPING) on a socket the test owns, SIGHUP reloads with a good and a bad config, and
// `hubsync status` read while the service runs.
#include <algorithm>

#include "e2e/service_fixture.h"

namespace hubsync::e2e {
namespace {

using Datagram = NotifyReceiver::Datagram;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// 1234 -> "1,234", as status prints counts.
std::string with_thousands(std::int64_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

class RunTest : public ServiceTest {
  protected:
    // Starts `hubsync run` with NOTIFY_SOCKET at `address` and waits for READY=1.
    void start_service(const std::string& address, std::map<std::string, std::string> env = {}) {
        notify_ = std::make_unique<NotifyReceiver>(address);
        env["NOTIFY_SOCKET"] = notify_->address();
        service_ = spawn_hubsync({"run"}, std::move(env));
        ready_ = notify_->wait_for("READY=1", 20s);
        ASSERT_TRUE(ready_) << "no READY=1; stderr:\n" << service_->err();
    }

    // Waits for the end of the service's first sync, by its log line.
    void await_first_sync() {
        ASSERT_TRUE(service_->wait_for_err("records written", 40s))
            << "the first sync did not finish; stderr:\n"
            << service_->err();
    }

    // SIGTERM (or SIGINT): STOPPING=1, then exit 0 within 10 s.
    void stop_service(int signo = SIGTERM) {
        const auto before = notify_->datagrams().size();
        const auto sent = SteadyClock::now();
        service_->signal(signo);
        EXPECT_TRUE(notify_->wait_for("STOPPING=1", 10s, before)) << service_->err();
        const auto code = service_->wait_exit(10s);
        ASSERT_TRUE(code.has_value()) << "hubsync run did not exit within 10 s of signal " << signo;
        EXPECT_EQ(*code, 0) << service_->err();
        EXPECT_LT(seconds_between(sent, SteadyClock::now()), 10.0);
    }

    std::unique_ptr<NotifyReceiver> notify_;
    std::unique_ptr<ChildProcess> service_;
    std::optional<std::size_t> ready_;
};

TEST_F(RunTest, NotifyPathSocketReadyStatusWatchdogCadenceStopping) {
    HardTimeout limit(60s, "NotifyPathSocketReadyStatusWatchdogCadenceStopping");
    start({.contacts = 2000});
    // Slow pages keep the first sync busy for a few seconds, so pings must come from its
    // progress, not only from the idle loop.
    sim::FaultRule slow =
        sim::FaultRule::of_kind(sim::FaultRule::Kind::kDelay, "/crm/objects/2026-09/contacts", 10);
    slow.method = "GET";
    slow.real_delay = 350ms;
    sim_->add_fault(slow);

    // systemd sets WATCHDOG_USEC=2 s for WatchdogSec=2; pings are due every second.
    start_service(dir_ / "notify.sock", {{"WATCHDOG_USEC", "2000000"}});
    const auto ready = notify_->datagrams()[*ready_];
    ASSERT_TRUE(ready.value("STATUS").has_value()) << "READY=1 comes with a STATUS= line";
    EXPECT_FALSE(ready.value("STATUS")->empty());

    await_first_sync();
    // About three seconds of idle service after the sync: three more pings.
    auto idle_from = notify_->datagrams().size();
    for (int i = 0; i < 3; ++i) {
        auto at = notify_->wait_for("WATCHDOG=1", 5s, idle_from);
        ASSERT_TRUE(at) << "no WATCHDOG=1 while idle";
        idle_from = *at + 1;
    }
    stop_service();

    const auto all = notify_->datagrams();
    std::vector<SteadyClock::time_point> pings;
    std::size_t pings_while_syncing = 0;
    bool syncing = false;
    std::vector<std::string> statuses;
    for (const auto& d : all) {
        if (d.has("WATCHDOG=1")) {
            pings.push_back(d.at);
            if (syncing) ++pings_while_syncing;
        }
        if (auto status = d.value("STATUS")) {
            statuses.push_back(*status);
            syncing = contains(*status, "syncing");
        }
        EXPECT_FALSE(contains(d.text, token_)) << "a notify datagram carries the token";
    }
    ASSERT_GE(pings.size(), 5u);
    // The first ping as the loop starts, then one per half interval (1 s). A loaded machine
    // may be late by a few hundred milliseconds; a ping missing entirely would be 2 s.
    EXPECT_LT(seconds_between(all[*ready_].at, pings.front()), 1.0);
    double longest = 0, shortest = 1e9;
    for (std::size_t i = 1; i < pings.size(); ++i) {
        const double gap = seconds_between(pings[i - 1], pings[i]);
        longest = std::max(longest, gap);
        shortest = std::min(shortest, gap);
    }
    EXPECT_LE(longest, 1.6) << "WATCHDOG=1 must come at least every ~1 s (WATCHDOG_USEC=2 s)";
    EXPECT_GE(shortest, 0.8) << "pings come at half the interval, not faster";
    EXPECT_GE(pings_while_syncing, 2u) << "the sync's own progress must ping the watchdog";

    // STATUS= lines tell what the service does: syncing, then the summary after the sync.
    EXPECT_TRUE(std::any_of(statuses.begin(), statuses.end(),
                            [](const std::string& s) { return contains(s, "syncing"); }));
    EXPECT_TRUE(std::any_of(statuses.begin(), statuses.end(), [](const std::string& s) {
        return contains(s, "last sync") && contains(s, "contacts") && contains(s, "next sync in");
    }));
    EXPECT_FALSE(contains(service_->err(), token_));
}

TEST_F(RunTest, NotifyAbstractSocketAndSigint) {
    HardTimeout limit(40s, "NotifyAbstractSocketAndSigint");
    start({.contacts = 300});
    const std::string address = "@hubsync-e2e-" + std::to_string(::getpid()) + "-" +
                                std::filesystem::path(dir_.path()).filename().string();
    start_service(address, {{"WATCHDOG_USEC", "2000000"}});
    EXPECT_TRUE(notify_->datagrams()[*ready_].value("STATUS").has_value());
    await_first_sync();
    EXPECT_TRUE(notify_->wait_for(
        [](const Datagram& d) { return contains(d.value("STATUS").value_or(""), "last sync"); },
        10s));
    auto first = notify_->wait_for("WATCHDOG=1", 5s);
    ASSERT_TRUE(first);
    EXPECT_TRUE(notify_->wait_for("WATCHDOG=1", 5s, *first + 1));
    stop_service(SIGINT);  // Ctrl-C in a terminal stops it as cleanly as SIGTERM
}

TEST_F(RunTest, HungRequestIsCutOffBeforeTheWatchdogFires) {
    HardTimeout limit(60s, "HungRequestIsCutOffBeforeTheWatchdogFires");
    start({.contacts = 500});
    // One list request that HubSpot answers only after 3 s: with WatchdogSec=2 the service
    // must give up on it (HTTP timeout below half the interval) and keep pinging.
    sim::FaultRule hang =
        sim::FaultRule::of_kind(sim::FaultRule::Kind::kDelay, "/crm/objects/2026-09/contacts", 1);
    hang.method = "GET";
    hang.real_delay = 3s;
    sim_->add_fault(hang);
    start_service(dir_ / "notify.sock", {{"WATCHDOG_USEC", "2000000"}});
    await_first_sync();
    // Two more pings after the sync, so the gaps around the hung request are all measured.
    auto from = notify_->datagrams().size();
    for (int i = 0; i < 2; ++i) {
        auto at = notify_->wait_for("WATCHDOG=1", 5s, from);
        ASSERT_TRUE(at) << "no WATCHDOG=1 after the sync";
        from = *at + 1;
    }
    stop_service();
    std::vector<SteadyClock::time_point> pings;
    for (const auto& d : notify_->datagrams())
        if (d.has("WATCHDOG=1")) pings.push_back(d.at);
    ASSERT_GE(pings.size(), 3u);
    double longest = 0;
    for (std::size_t i = 1; i < pings.size(); ++i)
        longest = std::max(longest, seconds_between(pings[i - 1], pings[i]));
    EXPECT_LT(longest, 2.0) << "systemd would have killed the service (WATCHDOG_USEC=2 s)";
    // The hung request was abandoned and sent again (the same list page twice), rather than
    // waited out. The simulator logs it once its delayed answer is out, so stop it first.
    sim_->stop();
    std::map<std::string, int> pages;
    for (const auto& r : list_requests())
        ++pages[r.query];
    EXPECT_TRUE(std::any_of(pages.begin(), pages.end(), [](const auto& p) { return p.second > 1; }))
        << "no list page was requested twice; did the fault hit?";
}

TEST_F(RunTest, NoWatchdogPingsWithoutWatchdogUsec) {
    HardTimeout limit(40s, "NoWatchdogPingsWithoutWatchdogUsec");
    start({.contacts = 300});
    start_service(dir_ / "notify.sock");
    await_first_sync();
    // Idle for a bit over the 1 s a 2 s watchdog would ping at; nothing may come.
    EXPECT_FALSE(notify_->wait_for("WATCHDOG=1", 1500ms));
    stop_service();
}

TEST_F(RunTest, SighupReloadsGoodConfigAndKeepsOldOnBadConfig) {
    HardTimeout limit(60s, "SighupReloadsGoodConfigAndKeepsOldOnBadConfig");
    start({.contacts = 500});
    start_service(dir_ / "notify.sock");
    await_first_sync();

    // A good config: new interval and log level.
    write_config("interval = 7m\n", "debug");
    auto from = notify_->datagrams().size();
    std::size_t log_from = service_->err_size();
    service_->signal(SIGHUP);
    auto reloaded = service_->wait_for_err("configuration reloaded", 10s, log_from);
    ASSERT_TRUE(reloaded) << service_->err();
    EXPECT_TRUE(service_->wait_for_err("sync every 7m", 5s, log_from)) << service_->err();
    const auto reloading = notify_->wait_for("RELOADING=1", 5s, from);
    ASSERT_TRUE(reloading) << "systemd hears RELOADING=1 during a reload";
    const auto ready_again = notify_->wait_for("READY=1", 5s, *reloading + 1);
    ASSERT_TRUE(ready_again) << "and READY=1 when it is done";

    // A bad config: an unknown key (and a changed interval that must not take effect).
    write_config("interval = 9m\nbogus_key = 1\n", "debug");
    from = notify_->datagrams().size();
    log_from = service_->err_size();
    service_->signal(SIGHUP);
    ASSERT_TRUE(
        service_->wait_for_err("reload refused, keeping the running configuration", 10s, log_from))
        << service_->err();
    const std::string log = service_->err().substr(log_from);
    EXPECT_TRUE(contains(log, "bogus_key")) << "the error names the bad key:\n" << log;
    EXPECT_TRUE(contains(log, "hubsync.conf")) << "and the file:\n" << log;
    const auto ready_after_refusal = notify_->wait_for("READY=1", 5s, from);
    ASSERT_TRUE(ready_after_refusal);
    const std::string status =
        notify_->datagrams()[*ready_after_refusal].value("STATUS").value_or("");
    EXPECT_TRUE(contains(status, "next sync in 6m")) << "the 7m interval stays: " << status;
    EXPECT_FALSE(service_->wait_exit(0ms).has_value()) << "the service keeps running";
    EXPECT_FALSE(contains(service_->err().substr(log_from), "configuration reloaded"));

    stop_service();
}

TEST_F(RunTest, StatusWhileServiceRunsNeverShowsTheToken) {
    HardTimeout limit(60s, "StatusWhileServiceRunsNeverShowsTheToken");
    start({.contacts = 1500});
    sim::FaultRule slow =
        sim::FaultRule::of_kind(sim::FaultRule::Kind::kDelay, "/crm/objects/2026-09/contacts", 6);
    slow.method = "GET";
    slow.real_delay = 300ms;
    sim_->add_fault(slow);
    start_service(dir_ / "notify.sock");

    // During the first sync: status reads the mirror the service is writing.
    ASSERT_TRUE(notify_->wait_for(
        [](const Datagram& d) { return contains(d.value("STATUS").value_or(""), "syncing"); },
        20s));
    {
        const auto during = run_hubsync({"status", "--json"});
        EXPECT_EQ(during.code, 0) << during.err;
        Poco::JSON::Object::Ptr root;
        ASSERT_NO_THROW(root = parse_json_object(during.out)) << during.out;
        EXPECT_EQ(root->getObject("authorization")->getValue<std::string>("state"), "ok");
        EXPECT_FALSE(contains(during.out + during.err, token_));
    }

    await_first_sync();
    const auto result = run_hubsync({"status", "--json"});
    ASSERT_EQ(result.code, 0) << result.err;
    EXPECT_FALSE(contains(result.out + result.err, token_)) << "status --json printed the token";
    Poco::JSON::Object::Ptr root;
    ASSERT_NO_THROW(root = parse_json_object(result.out)) << result.out;

    auto auth = root->getObject("authorization");
    ASSERT_TRUE(auth);
    EXPECT_EQ(auth->getValue<std::string>("state"), "ok");
    EXPECT_EQ(auth->getValue<std::string>("mode"), "access_token");
    EXPECT_TRUE(auth->getValue<bool>("authorized"));

    auto mirror = root->getObject("mirror");
    ASSERT_TRUE(mirror);
    EXPECT_TRUE(mirror->getValue<bool>("exists"));
    EXPECT_EQ(mirror->getValue<std::string>("database"), database());
    const auto active = static_cast<std::int64_t>(sim_->truth(false).size());
    EXPECT_EQ(mirror->getValue<std::int64_t>("contacts_active"), active);
    EXPECT_EQ(mirror->getValue<std::int64_t>("contacts_total"),
              static_cast<std::int64_t>(sim_->truth(true).size()));
    for (const char* key : {"contacts_archived", "contacts_merged"})
        EXPECT_TRUE(mirror->has(key)) << key;

    auto sync = root->getObject("sync");
    ASSERT_TRUE(sync);
    EXPECT_FALSE(sync->getValue<std::string>("backfill_completed_at").empty());
    for (const char* key : {"backfill_cursor", "cursor_high_water", "last_reconcile_at"})
        EXPECT_TRUE(sync->has(key)) << key;
    auto last_run = sync->getObject("last_run");
    ASSERT_TRUE(last_run) << result.out;
    EXPECT_FALSE(last_run->getValue<std::string>("started_at").empty());
    EXPECT_FALSE(last_run->getValue<std::string>("finished_at").empty());
    EXPECT_EQ(last_run->getValue<std::string>("mode"), "backfill");
    EXPECT_GE(last_run->getValue<std::int64_t>("records_written"), active);
    EXPECT_GT(last_run->getValue<std::int64_t>("requests_made"), 0);
    EXPECT_EQ(last_run->getValue<std::string>("error"), "");
    EXPECT_EQ(root->getValue<std::string>("last_error"), "");

    const auto text = run_hubsync({"status"});
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_FALSE(contains(text.out + text.err, token_)) << "status printed the token";
    EXPECT_TRUE(contains(text.out, "authorization: ok")) << text.out;
    EXPECT_TRUE(contains(text.out, with_thousands(active) + " active")) << text.out;

    // Reading status disturbed nothing: the service still stops cleanly.
    EXPECT_FALSE(service_->wait_exit(0ms).has_value());
    stop_service();
}

}  // namespace
}  // namespace hubsync::e2e
