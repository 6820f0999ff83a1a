// hubspot-sim: an in-process HubSpot simulator (OAuth, CRM contacts, rate limits, faults) that
// tests start on a loopback port and drive from C++; the hubspot-sim executable wraps it. It
// answers on the legacy paths and on every dated API version of model/endpoints.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "model/record.h"

namespace hubsync::sim {

// HubSpot's `dataSensitivity` of a property definition. Sensitive and highly sensitive
// properties are left out of the properties list unless asked for, and reading their values
// needs the object's sensitive (or highly sensitive) read scope.
enum class DataSensitivity { kNonSensitive, kSensitive, kHighlySensitive };

// "non_sensitive", "sensitive", "highly_sensitive": the wire names.
std::string_view sensitivity_name(DataSensitivity sensitivity);
std::optional<DataSensitivity> parse_sensitivity(std::string_view name);
// The scope that reads values of contact properties of this sensitivity ("" for
// non-sensitive ones, which the object's read scope covers).
std::string_view contacts_scope_for(DataSensitivity sensitivity);

struct SimOptions {
    int port = 0;  // 0 = pick a free port; see Simulator::port()
    std::string bind_address = "127.0.0.1";
    int contacts = 1000;         // generated contacts, ids ascending
    int custom_properties = 10;  // custom properties cycling through every property type
    std::uint64_t seed = 1;      // same seed, same data
    std::chrono::seconds token_ttl{1800};
    bool rate_limits = true;    // 110 per rolling 10 s, search 5 per second; per account
    bool auto_consent = false;  // the authorize page redirects at once with code and state
    std::string client_id = "sim-client-id";
    std::string client_secret = "sim-client-secret";
    // Registered redirect URIs, matched exactly. Empty = any http://localhost:PORT/... or
    // http://127.0.0.1:PORT/... counts as registered (an app in development).
    std::vector<std::string> redirect_uris;
    // Time source for token expiry, rate limits, timestamps and indexing delay. nullptr =
    // SystemClock. Tests pass a ManualClock; it must outlive the Simulator.
    hubsync::Clock* clock = nullptr;
    // Search sees a change only this long after it happened (uniformly jittered in
    // [min, max]); list, get and batch read see it at once.
    std::chrono::milliseconds index_delay_min{0};
    std::chrono::milliseconds index_delay_max{0};
    std::size_t max_url_length = 8192;        // longer request targets get 414
    std::string tls_cert_file, tls_key_file;  // both set = HTTPS (PEM files)
    bool rotate_refresh_tokens = false;       // every refresh returns a new refresh token
    // With rotation: the old refresh token keeps working until the new one is first used (a
    // grace period some providers give, so a client killed before saving the new token can
    // still refresh with the old one). Off: the old token dies the moment the new one is issued.
    bool rotation_grace = false;
    std::int64_t hub_id = 62515;
    // The scopes the app is configured with; an authorize URL may ask for these only.
    std::vector<std::string> granted_scopes = {"oauth", "crm.objects.contacts.read"};
    // HTTP worker threads. POCO holds a thread per open keep-alive connection, so the pool gets
    // 30 more than this for idle client connections.
    int threads = 2;
    std::size_t max_request_log = 200'000;  // oldest request records are dropped beyond this
    // HubSpot after the legacy paths retire: every path retired_generation_of() knows
    // (/oauth/v1, /oauth/v3, /crm/v3, /crm/v4, /crm-object-schemas/v3) answers 404 and is
    // still logged. See also Simulator::set_legacy_off().
    bool legacy_off = false;
};

// One injected fault. A request matches when its path starts with path_prefix (empty = every
// path) and, when method is set, its method equals it. /_sim/ admin paths never match.
struct FaultRule {
    enum class Kind {
        kStatus,         // answer `status` (423, 477, 500, 502-504, 521-524...) with a HubSpot
                         // error body
        kRateLimit,      // 429 TEN_SECONDLY_ROLLING
        kResetMidBody,   // process the request, send headers and half the body, reset the TCP
                         // connection
        kDelay,          // process the request but answer after `delay` on the simulator clock
                         // (a ManualClock jumps; no real waiting) plus `real_delay` real time
        kTruncatedJson,  // process the request, send 200 with the body cut in half
                         // (Content-Length matches the cut body)
        kMalformedJson,  // process the request, send 200 with a syntactically broken body
        kHtmlError,      // answer `status` (default 502) with an HTML error page (a proxy's)
    };
    Kind kind = Kind::kStatus;
    std::string path_prefix;
    std::string method;
    int status = 503;
    // Matching requests the rule applies to; -1 = unlimited. Decremented only when applied.
    int count = 1;
    // Probability in [0,1] that a matching request is hit (deterministic from the seed).
    double fraction = 1.0;
    // Retry-After on kStatus, kRateLimit and kHtmlError answers: this many seconds, sent as
    // the number or, with retry_after_http_date, as the IMF-fixdate (RFC 7231) of the
    // simulator clock's now plus that many seconds, rounded up to a whole second.
    std::optional<int> retry_after_seconds;
    bool retry_after_http_date = false;
    std::chrono::milliseconds delay{0};
    std::chrono::milliseconds real_delay{0};

    // Convenience constructors for the common cases.
    static FaultRule fail_next(std::string path_prefix, int n, int status);
    static FaultRule rate_limit_next(std::string path_prefix, int n,
                                     std::optional<int> retry_after_seconds);
    static FaultRule of_kind(Kind kind, std::string path_prefix, int n = 1);
    // Every token endpoint answers 503 until clear_faults().
    static FaultRule token_endpoint_outage();
};

class Simulator final {
  public:
    explicit Simulator(SimOptions options);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    // Binds and starts serving. kConfig error when the port is taken or the TLS files are bad.
    hubsync::Status start();
    // Stops serving and waits for in-flight requests. Idempotent; the destructor calls it.
    void stop();
    int port() const;
    // http(s)://127.0.0.1:PORT, no trailing slash.
    std::string base_url() const;

    struct Tokens {
        std::string access_token, refresh_token;
        std::int64_t expires_in = 0;
    };
    // Mints a token pair directly, as if the consent flow had run (granted_scopes, or `scopes`).
    Tokens issue_tokens();
    Tokens issue_tokens(const std::vector<std::string>& scopes);
    // Mints an app-level access token as the client_credentials grant does (no refresh token;
    // the CRM endpoints refuse it).
    Tokens issue_app_token(const std::vector<std::string>& scopes = {});
    // Mints an authorization code as the consent page would (for token-exchange tests).
    std::string issue_code(const std::string& redirect_uri, const std::string& code_challenge = {});

    // Ground truth as HubSpot holds it now, ids ascending. Active contacts only, or active
    // and archived. Merged-away and GDPR-deleted contacts are never included. Sensitive
    // property values are left out unless include_sensitive is set, as the default properties
    // list leaves their definitions out.
    std::vector<hubsync::Record> truth(bool include_archived, bool include_sensitive = false) const;
    // One contact (merged ids resolve); sensitive values as in truth().
    std::optional<hubsync::Record> contact(RecordId id, bool include_sensitive = false) const;
    // The ids truth() would return, without copying every property.
    std::vector<RecordId> contact_ids(bool include_archived) const;
    // The definitions the properties endpoint lists by default (non-sensitive ones), or those
    // of one sensitivity, as `?dataSensitivity=` asks.
    std::vector<hubsync::PropertyDef> property_defs() const;
    std::vector<hubsync::PropertyDef> property_defs(DataSensitivity sensitivity) const;

    // Mutations, exactly like HubSpot's endpoints: they set lastmodifieddate/updatedAt to now
    // and the change reaches search after the indexing delay. Unknown property names and
    // unknown ids throw std::invalid_argument (a test bug, not a simulated condition).
    RecordId create_contact(const std::map<std::string, std::string>& props);
    void update_contact(RecordId id, const std::map<std::string, std::string>& props);
    // Updates all `ids` with one shared lastmodifieddate millisecond (a bulk import).
    void update_many_same_millisecond(const std::vector<RecordId>& ids,
                                      const std::map<std::string, std::string>& props);
    void archive(RecordId id);
    void restore(RecordId id);
    // Merges `to_merge` into `primary`: a new record with a new id; both old ids resolve to it.
    RecordId merge(RecordId primary, RecordId to_merge);
    void gdpr_delete(RecordId id);
    // Removes archived contacts archived longer ago than `age` (HubSpot: 90 days).
    void purge_archived_older_than(std::chrono::hours age);
    void add_property(hubsync::PropertyDef def,
                      DataSensitivity sensitivity = DataSensitivity::kNonSensitive);

    void add_fault(FaultRule rule);
    void clear_faults();
    // Invalidates every refresh token and the access tokens minted from them.
    void revoke_all_refresh_tokens();
    void set_rotate_refresh_tokens(bool on);
    void set_rate_limits(bool on);
    // SimOptions::legacy_off at runtime.
    void set_legacy_off(bool on);

    struct RequestRecord {
        std::string method, path;  // path without the query
        int status = 0;
        hubsync::Instant at;         // when the request arrived (before any injected delay)
        bool expired_token = false;  // a 401 because the bearer token had expired
        std::string query;
    };
    std::vector<RequestRecord> requests() const;
    // Requests answered since start (not reset by clear_requests): a cheap progress counter.
    std::uint64_t requests_served() const;
    // The logged requests from serial number `served` on (a value of requests_served()).
    std::vector<RequestRecord> requests_since(std::uint64_t served) const;
    int count_status(int status) const;
    // Requests whose path starts with `prefix`.
    int count_path(const std::string& prefix) const;
    // Requests on a legacy path (one retired_generation_of() knows), answered or not.
    int count_legacy() const;
    void clear_requests();

    class Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace hubsync::sim
