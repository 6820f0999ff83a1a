// The API client over real loopback HTTP against hubspot-sim: list, batch read and search
// round trips compared with the simulator's truth, rate limits followed with zero 429s,
// injected faults survived, and an expired token refreshed once.
#ifdef HUBSYNC_HAVE_SIM

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "api/hubspot_api.h"
#include "core/log.h"
#include "http/transport.h"
#include "model/endpoints.h"
#include "sim/simulator.h"

namespace hubsync {
namespace {

// Tokens minted directly by the simulator; a refresh mints a new pair.
class SimTokens final : public AccessTokenSource {
  public:
    explicit SimTokens(sim::Simulator& sim) : sim_(sim), token_(sim.issue_tokens().access_token) {}
    Result<std::string> access_token() override { return token_; }
    Result<std::string> refresh_after_unauthorized(const std::string& rejected) override {
        if (rejected == token_) {
            token_ = sim_.issue_tokens().access_token;
            ++refreshes;
        }
        return token_;
    }
    int refreshes = 0;

  private:
    sim::Simulator& sim_;
    std::string token_;
};

class SimApiTest : public ::testing::Test {
  protected:
    void start(int contacts, int custom_properties,
               std::chrono::seconds token_ttl = std::chrono::seconds(1800)) {
        set_log_level(LogLevel::kError);  // retries are expected here
        sim::SimOptions so;
        so.contacts = contacts;
        so.custom_properties = custom_properties;
        so.clock = &clock_;
        so.token_ttl = token_ttl;
        sim_ = std::make_unique<sim::Simulator>(so);
        const Status started = sim_->start();
        ASSERT_TRUE(started.ok()) << started.error().describe();
        transport_ = make_poco_transport(TransportOptions{});
        tokens_ = std::make_unique<SimTokens>(*sim_);
        options_.base_url = sim_->base_url();
        options_.jitter_seed = 3;
    }
    void TearDown() override {
        set_log_level(LogLevel::kInfo);
        if (sim_) sim_->stop();
    }

    HubSpotApi& api() {
        if (!api_) api_ = make_hubspot_api(*transport_, *tokens_, clock_, options_);
        return *api_;
    }

    std::vector<std::string> all_property_names() {
        auto defs = api().list_properties(contacts_type());
        EXPECT_TRUE(defs.ok()) << defs.error().describe();
        std::vector<std::string> names;
        if (defs.ok())
            for (const auto& d : *defs)
                names.push_back(d.name);
        return names;
    }

    // Lists every contact with these properties, page by page.
    std::vector<Record> list_all(const std::vector<std::string>& properties) {
        std::vector<Record> out;
        ListRequest request;
        request.properties = properties;
        for (int guard = 0; guard < 1000; ++guard) {
            auto page = api().list(contacts_type(), request);
            EXPECT_TRUE(page.ok()) << page.error().describe();
            if (!page.ok()) break;
            for (auto& c : page->records)
                out.push_back(std::move(c));
            if (page->next_after.empty()) break;
            request.after = page->next_after;
        }
        return out;
    }

    ManualClock clock_;
    std::unique_ptr<sim::Simulator> sim_;
    std::unique_ptr<HttpTransport> transport_;
    std::unique_ptr<SimTokens> tokens_;
    ApiOptions options_;
    std::unique_ptr<HubSpotApi> api_;
};

// Every truth value equals the decoded one; a property the response leaves out counts as null.
void expect_same_contact(const Record& truth, const Record& got) {
    ASSERT_EQ(truth.id, got.id);
    EXPECT_EQ(truth.created_at, got.created_at) << truth.id;
    EXPECT_EQ(truth.updated_at, got.updated_at) << truth.id;
    EXPECT_EQ(truth.archived, got.archived) << truth.id;
    for (const auto& p : truth.properties) {
        const auto* v = got.find(p.name);
        const std::optional<std::string> value = v ? *v : std::nullopt;
        EXPECT_EQ(p.value, value) << "contact " << truth.id << " property " << p.name;
    }
}

TEST_F(SimApiTest, ListRoundTripEqualsTruth) {
    start(350, 25);
    const auto names = all_property_names();
    ASSERT_EQ(names.size(), sim_->property_defs().size());
    const auto got = list_all(names);
    const auto truth = sim_->truth(false);
    ASSERT_EQ(got.size(), truth.size());
    for (std::size_t i = 0; i < truth.size(); ++i)
        expect_same_contact(truth[i], got[i]);
    EXPECT_EQ(sim_->count_status(429), 0);
}

TEST_F(SimApiTest, BatchReadAndSearchRoundTrip) {
    start(300, 10);
    const auto names = all_property_names();
    const auto truth = sim_->truth(false);

    std::vector<RecordId> ids;
    for (std::size_t i = 0; i < 20; ++i)
        ids.push_back(truth[i * 7].id);
    ids.push_back(999'999'999);  // does not exist
    const auto batch = api().batch_read(contacts_type(), ids, names);
    ASSERT_TRUE(batch.ok()) << batch.error().describe();
    EXPECT_EQ(batch->missing, std::vector<RecordId>{999'999'999});
    ASSERT_EQ(batch->records.size(), 20u);
    std::map<RecordId, const Record*> by_id;
    for (const auto& c : batch->records)
        by_id[c.id] = &c;
    for (std::size_t i = 0; i < 20; ++i) {
        ASSERT_TRUE(by_id.count(truth[i * 7].id));
        expect_same_contact(truth[i * 7], *by_id[truth[i * 7].id]);
    }

    // Search past an id, sorted by id, paging by offset.
    const RecordId floor = truth[100].id;
    SearchRequest s;
    s.filter_groups = {{{"hs_object_id", "GT", std::to_string(floor), "", {}}}};
    s.sort_property = "hs_object_id";
    s.properties = {"email", "lastmodifieddate"};
    s.limit = 50;
    std::vector<RecordId> found;
    for (int guard = 0; guard < 100; ++guard) {
        auto page = api().search(contacts_type(), s);
        ASSERT_TRUE(page.ok()) << page.error().describe();
        EXPECT_EQ(page->total, static_cast<std::int64_t>(truth.size() - 101));
        for (const auto& c : page->records)
            found.push_back(c.id);
        if (page->next_after.empty()) break;
        s.after = page->next_after;
    }
    std::vector<RecordId> expected;
    for (std::size_t i = 101; i < truth.size(); ++i)
        expected.push_back(truth[i].id);
    EXPECT_EQ(found, expected);
    EXPECT_EQ(sim_->count_status(429), 0);
}

// Servers and proxies drop idle keep-alive connections. A read sent on one the server has
// closed goes out again at once on a new connection: the caller sees the answer, no retry, no
// warning. A request not marked safe to send twice gets the failure instead.
TEST_F(SimApiTest, AReadOnAConnectionTheServerClosedIsSentAgainAtOnce) {
    start(20, 0);
    // An association read of 1,000 ids: its body goes out after its head, into a connection
    // the server has closed.
    HttpRequest read;
    read.method = "POST";
    read.url = sim_->base_url() + endpoint_path(Endpoint::kAssociationsBatchRead,
                                                default_api_version(), "contacts", "companies");
    read.headers = {{"Authorization", "Bearer " + sim_->issue_tokens().access_token}};
    read.body = R"({"inputs":[)";
    for (int id = 1; id <= 1'000; ++id)
        read.body += (id > 1 ? "," : "") + std::string(R"({"id":")") + std::to_string(id) + "\"}";
    read.body += "]}";
    read.content_type = "application/json";
    read.idempotent = true;
    auto first = transport_->send(read);
    ASSERT_TRUE(first.ok()) << first.error().describe();
    for (int i = 0; i < 3; ++i) {
        sim_->clear_requests();
        sim_->close_connections();
        auto again = transport_->send(read);
        ASSERT_TRUE(again.ok()) << "round " << i << ": " << again.error().describe();
        EXPECT_EQ(again->status, first->status);
        EXPECT_EQ(sim_->requests().size(), 1u) << "the first send never reached the server";
    }
    sim_->close_connections();
    read.idempotent = false;
    auto refused = transport_->send(read);
    ASSERT_FALSE(refused.ok()) << "a request not safe to send twice was sent twice";
    EXPECT_EQ(refused.error().kind, ErrorKind::kTransient);
}

TEST_F(SimApiTest, RateLimitHeadersAloneAvoid429s) {
    start(50, 2);
    options_.requests_per_10s = 10'000;  // the client-side budget is out of the way
    const Instant begin = clock_.now();
    ListRequest request;
    request.limit = 1;
    for (int i = 0; i < 400; ++i) {
        auto page = api().list(contacts_type(), request);
        ASSERT_TRUE(page.ok()) << i << ": " << page.error().describe();
    }
    EXPECT_EQ(sim_->count_status(429), 0);
    EXPECT_EQ(api().stats().rate_limited, 0);
    // 400 requests at 110 per 10 s take at least three full windows.
    EXPECT_GE(clock_.now() - begin, Millis(30'000));
}

TEST_F(SimApiTest, DefaultBudgetsNeverHit429) {
    start(120, 3);
    SearchRequest s;
    s.properties = {"email"};
    s.limit = 10;
    ListRequest request;
    request.limit = 10;
    for (int i = 0; i < 300; ++i) {
        if (i % 4 == 0) {
            auto page = api().search(contacts_type(), s);
            ASSERT_TRUE(page.ok()) << page.error().describe();
        } else {
            auto page = api().list(contacts_type(), request);
            ASSERT_TRUE(page.ok()) << page.error().describe();
        }
    }
    EXPECT_EQ(sim_->count_status(429), 0);
    EXPECT_EQ(api().stats().rate_limited, 0);
}

TEST_F(SimApiTest, InjectedFaultsAreRetried) {
    start(150, 5);
    using K = sim::FaultRule::Kind;
    const std::string list_path = "/crm/objects/2026-09/contacts";
    sim_->add_fault(sim::FaultRule::of_kind(K::kTruncatedJson, list_path, 1));
    sim_->add_fault(sim::FaultRule::of_kind(K::kHtmlError, list_path, 1));
    sim_->add_fault(sim::FaultRule::of_kind(K::kMalformedJson, list_path, 1));
    sim_->add_fault(sim::FaultRule::of_kind(K::kResetMidBody, list_path, 1));
    sim_->add_fault(sim::FaultRule::fail_next(list_path, 2, 503));
    sim_->add_fault(sim::FaultRule::rate_limit_next(list_path, 1, 4));
    const auto got = list_all({"email", "firstname"});
    const auto truth = sim_->truth(false);
    ASSERT_EQ(got.size(), truth.size());
    for (std::size_t i = 0; i < truth.size(); ++i)
        EXPECT_EQ(got[i].id, truth[i].id);
    // The connection reset may be absorbed by the transport's own reconnect, so it is not
    // counted here.
    EXPECT_EQ(api().stats().bad_bodies, 2);     // truncated, malformed
    EXPECT_EQ(api().stats().server_errors, 3);  // the proxy's HTML 502, two 503s
    EXPECT_EQ(api().stats().rate_limited, 1);
    EXPECT_GE(api().stats().retries, 6);
}

TEST_F(SimApiTest, ExpiredTokenIsRefreshedOnce) {
    start(20, 1, std::chrono::seconds(60));
    ASSERT_EQ(list_all({"email"}).size(), 20u);
    clock_.advance(Millis(61'000));
    ASSERT_EQ(list_all({"email"}).size(), 20u);
    EXPECT_EQ(tokens_->refreshes, 1);
    EXPECT_EQ(api().stats().unauthorized, 1);
}

}  // namespace
}  // namespace hubsync

#endif  // HUBSYNC_HAVE_SIM
