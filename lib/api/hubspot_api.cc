// HubSpotApiClient: builds the CRM requests for any object type on the configured dated API
// version, paces them through the client-side limiters, and turns every HTTP outcome into a
// value, retrying what a retry can fix.
#include "api/hubspot_api.h"

#include <fmt/core.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <variant>

#include "api/decode.h"
#include "api/json_reader.h"
#include "api/rate_budget.h"
#include "core/backoff.h"
#include "core/log.h"
#include "core/text.h"
#include "http/http_date.h"
#include "http/url.h"
#include "model/endpoints.h"

namespace hubsync {
namespace {

constexpr Millis kTenSeconds{10'000};
constexpr Millis kOneSecond{1'000};
constexpr Millis kLockedWait{2'000};  // HubSpot: 423 wants at least 2 s
constexpr Millis kMinRateLimitWait{
    1'000};  // a 429 with "Retry-After: 0" is still not retried at once

RateBudgetOptions budget_options(const ApiOptions& options) {
    RateBudgetOptions b;
    b.requests_per_10s = options.requests_per_10s;
    b.searches_per_second = options.searches_per_second;
    b.max_wait = options.max_wait;
    b.max_in_flight = options.max_in_flight;
    return b;
}

struct Call {
    std::string what;  // "list contacts", for messages
    std::string method;
    std::string url;
    std::string body;
    Bucket bucket = Bucket::kGeneral;
    std::string scope;  // the scope a 403 most likely lacks
};

// Retry-After in either form RFC 9110 allows: delay-seconds or an HTTP-date (a date in the
// past means now).
std::optional<Millis> retry_after(const HttpResponse& response, Instant now) {
    constexpr long kMaxSeconds = 366L * 24 * 3600;  // clamps absurd values before they overflow
    const std::string header = response.header("Retry-After");
    if (const auto v = parse_int<long>(trim(header))) {
        if (*v < 0) return std::nullopt;
        return Millis(std::min(*v, kMaxSeconds) * 1000);
    }
    const auto at = parse_http_date(header);
    if (!at) return std::nullopt;
    const auto wait = std::chrono::duration_cast<Millis>(*at - now);
    return std::clamp(wait, Millis(0), Millis(kMaxSeconds * 1000));
}

// The server-side statuses HubSpot documents as worth a retry: 502-504 and Cloudflare's 521-524
// in front of it, and 500, which HubSpot answers for passing internal failures. 501 and 505
// say the request will never work.
bool is_transient_status(int status) {
    return status >= 500 && status <= 599 && status != 501 && status != 505;
}

std::string path_of(const std::string& url) {
    const auto scheme = url.find("://");
    const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (slash == std::string::npos) return "/";
    const auto query = url.find('?', slash);
    return url.substr(slash, query == std::string::npos ? std::string::npos : query - slash);
}

const std::string& version_or_default(const std::string& version) {
    static const std::string kDefault(default_api_version());
    return version.empty() ? kDefault : version;
}

std::string describe_status(int status, const ErrorBody& body) {
    std::string out = std::to_string(status);
    if (!body.category.empty()) out += " " + body.category;
    if (!body.message.empty()) out += ": " + body.message;
    return out;
}

std::string correlation_suffix(const ErrorBody& body) {
    if (body.correlation_id.empty()) return {};
    return ", correlationId " + body.correlation_id;
}

Error plan_error(std::string message) {
    return make_error(ErrorKind::kInternal, "request plan error: " + std::move(message),
                      "this is a bug in request planning; please report it");
}

void append_string_array(std::string& out, const std::vector<std::string>& values) {
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, values[i]);
    }
    out += ']';
}

class HubSpotApiClient final : public HubSpotApi {
  public:
    HubSpotApiClient(HttpTransport& transport, AccessTokenSource& tokens, Clock& clock,
                     const ApiOptions& options)
        : transport_(transport),
          tokens_(tokens),
          clock_(clock),
          options_(options),
          base_url_(options.base_url),
          version_(version_or_default(options.api_version)),
          budget_(clock, budget_options(options), options.stop),
          rng_(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()) {
        while (!base_url_.empty() && base_url_.back() == '/')
            base_url_.pop_back();
        options_.max_attempts = std::max(options_.max_attempts, 1);
        options_.max_bad_body_attempts = std::max(options_.max_bad_body_attempts, 1);
    }

    Result<std::vector<PropertyDef>> list_properties(const ObjectType& type,
                                                     PropertySensitivity sensitivity) override {
        std::string url = base_url_ + path(Endpoint::kListProperties, type);
        if (sensitivity == PropertySensitivity::kSensitive) url += "?dataSensitivity=sensitive";
        if (sensitivity == PropertySensitivity::kHighlySensitive)
            url += "?dataSensitivity=highly_sensitive";
        Call call{"list " + type.name + " properties",
                  "GET",
                  std::move(url),
                  {},
                  Bucket::kGeneral,
                  type.read_scope};
        if (sensitivity != PropertySensitivity::kNonSensitive) call.scope = type.sensitive_scope;
        std::vector<PropertyDef> out;
        HS_RETURN_IF_ERROR(execute(call, [&](const HttpResponse& r) -> Status {
            HS_ASSIGN_OR_RETURN(out, decode_properties(r.body));
            return Status::Ok();
        }));
        return out;
    }

    Result<RecordPage> list(const ObjectType& type, const ListRequest& request) override {
        Call call{"list " + type.name, "GET",          list_url(type, request), {},
                  Bucket::kGeneral,    type.read_scope};
        if (call.url.size() > static_cast<std::size_t>(options_.max_url_length)) {
            return plan_error(fmt::format(
                "the list URL would be {} characters with {} properties, over the {} limit "
                "(HubSpot answers 414); split the properties over several requests or use "
                "batch read",
                call.url.size(), request.properties.size(), options_.max_url_length));
        }
        RecordPage page;
        HS_RETURN_IF_ERROR(execute(call, [&](const HttpResponse& r) -> Status {
            HS_ASSIGN_OR_RETURN(page, decode_record_page(r.body));
            return Status::Ok();
        }));
        return page;
    }

    Result<BatchReadResult> batch_read(const ObjectType& type, const std::vector<RecordId>& ids,
                                       const std::vector<std::string>& properties) override {
        return batch_read_of(type, ids, properties, false);
    }

    Result<BatchReadResult> batch_read_archived(
        const ObjectType& type, const std::vector<RecordId>& ids,
        const std::vector<std::string>& properties) override {
        return batch_read_of(type, ids, properties, true);
    }

    Result<BatchReadResult> batch_read_of(const ObjectType& type, const std::vector<RecordId>& ids,
                                          const std::vector<std::string>& properties,
                                          bool archived) {
        if (ids.empty()) return BatchReadResult{};
        if (ids.size() > kMaxBatchReadInputs) {
            return plan_error(fmt::format("batch read of {} ids; HubSpot accepts at most {}",
                                          ids.size(), kMaxBatchReadInputs));
        }
        Call call{"batch read " + type.name,
                  "POST",
                  base_url_ + path(Endpoint::kBatchReadObjects, type) +
                      (archived ? "?archived=true" : ""),
                  batch_body(ids, properties),
                  Bucket::kGeneral,
                  type.read_scope};
        BatchReadResult out;
        HS_RETURN_IF_ERROR(execute(call, [&](const HttpResponse& r) -> Status {
            HS_ASSIGN_OR_RETURN(out, decode_batch_read(r.body));
            return Status::Ok();
        }));
        return out;
    }

    Result<RecordPage> search(const ObjectType& type, const SearchRequest& request) override {
        Call call{"search " + type.name,
                  "POST",
                  base_url_ + path(Endpoint::kSearchObjects, type),
                  search_body(request),
                  Bucket::kSearch,
                  type.read_scope};
        if (call.body.size() > kMaxSearchBodyLength) {
            return plan_error(fmt::format(
                "the search body would be {} characters, over HubSpot's {} limit; search with "
                "fewer properties and fetch the rest with batch read",
                call.body.size(), kMaxSearchBodyLength));
        }
        RecordPage page;
        HS_RETURN_IF_ERROR(execute(call, [&](const HttpResponse& r) -> Status {
            HS_ASSIGN_OR_RETURN(page, decode_record_page(r.body));
            return Status::Ok();
        }));
        return page;
    }

    Result<std::vector<ObjectSchema>> list_schemas() override {
        Call call{"list custom object schemas",
                  "GET",
                  base_url_ + endpoint_path(Endpoint::kListSchemas, version_) +
                      "?includePropertyDefinitions=false&includeAssociationDefinitions=false",
                  {},
                  Bucket::kGeneral,
                  kCustomSchemasReadScope};
        std::vector<ObjectSchema> out;
        HS_RETURN_IF_ERROR(execute(call, [&](const HttpResponse& r) -> Status {
            HS_ASSIGN_OR_RETURN(out, decode_schemas(r.body));
            return Status::Ok();
        }));
        return out;
    }

    Status call(const EndpointCall& endpoint_call,
                const std::function<Status(std::string_view)>& decode) override {
        const EndpointInfo& info = endpoint_info(endpoint_call.endpoint);
        std::string url = base_url_ + endpoint_path(endpoint_call.endpoint, version_,
                                                    endpoint_call.type, endpoint_call.to_type);
        if (!endpoint_call.query.empty()) url += "?" + endpoint_call.query;
        const Bucket bucket =
            info.limit == RateLimit::kTenSecondlyExempt ? Bucket::kExempt : Bucket::kGeneral;
        Call call{endpoint_call.what,
                  std::string(info.method),
                  std::move(url),
                  endpoint_call.body,
                  bucket,
                  endpoint_call.scope};
        return execute(call, [&](const HttpResponse& r) { return decode(r.body); });
    }

    std::size_t list_url_length(const ObjectType& type, const ListRequest& request) const override {
        return list_url(type, request).size();
    }

    std::size_t search_body_length(const SearchRequest& request) const override {
        return search_body(request).size();
    }

    int suggested_in_flight() const override { return budget_.suggested_in_flight(); }

    ApiStats stats() const override {
        std::lock_guard lock(stats_mu_);
        ApiStats out = stats_;
        out.wait_ms = budget_.waited_ms();
        out.budget = budget_.snapshot();
        return out;
    }

  private:
    using Decode = std::function<Status(const HttpResponse&)>;

    std::string path(Endpoint endpoint, const ObjectType& type) const {
        return endpoint_path(endpoint, version_, type.path_name());
    }

    std::string list_url(const ObjectType& type, const ListRequest& request) const {
        std::string url = base_url_;
        url += path(Endpoint::kListObjects, type);
        url += "?limit=";
        url += std::to_string(request.limit);
        if (!request.after.empty()) {
            url += "&after=";
            url += url_encode(request.after);
        }
        if (!request.properties.empty()) {
            // Comma-separated is the shortest spelling HubSpot accepts.
            url += "&properties=";
            for (std::size_t i = 0; i < request.properties.size(); ++i) {
                if (i) url += ',';
                url += url_encode(request.properties[i]);
            }
        }
        if (request.archived) url += "&archived=true";
        return url;
    }

    static std::string batch_body(const std::vector<RecordId>& ids,
                                  const std::vector<std::string>& properties) {
        std::string body = R"({"inputs":[)";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i) body += ',';
            body += R"({"id":")";
            body += std::to_string(ids[i]);
            body += "\"}";
        }
        body += R"(],"properties":)";
        append_string_array(body, properties);
        body += '}';
        return body;
    }

    static std::string search_body(const SearchRequest& request) {
        std::string body = R"({"filterGroups":[)";
        for (std::size_t g = 0; g < request.filter_groups.size(); ++g) {
            if (g) body += ',';
            body += R"({"filters":[)";
            const auto& filters = request.filter_groups[g];
            for (std::size_t f = 0; f < filters.size(); ++f) {
                const SearchFilter& filter = filters[f];
                if (f) body += ',';
                body += R"({"propertyName":)";
                append_json_string(body, filter.property);
                body += R"(,"operator":)";
                append_json_string(body, filter.op);
                if (!filter.value.empty()) {
                    body += R"(,"value":)";
                    append_json_string(body, filter.value);
                }
                if (!filter.high_value.empty()) {
                    body += R"(,"highValue":)";
                    append_json_string(body, filter.high_value);
                }
                if (!filter.values.empty()) {
                    body += R"(,"values":)";
                    append_string_array(body, filter.values);
                }
                body += '}';
            }
            body += "]}";
        }
        body += ']';
        if (!request.sort_property.empty()) {
            body += R"(,"sorts":[{"propertyName":)";
            append_json_string(body, request.sort_property);
            body += request.ascending ? R"(,"direction":"ASCENDING"}])"
                                      : R"(,"direction":"DESCENDING"}])";
        }
        body += R"(,"properties":)";
        append_string_array(body, request.properties);
        body += R"(,"limit":)";
        body += std::to_string(request.limit);
        if (!request.after.empty()) {
            body += R"(,"after":)";
            append_json_string(body, request.after);
        }
        body += '}';
        return body;
    }

    // A transport no other request is using, for the length of one request.
    class TransportLease final {
      public:
        explicit TransportLease(HubSpotApiClient& api) : api_(api) {
            std::unique_lock lock(api_.pool_mu_);
            if (!api_.options_.make_transport) {
                // Without a factory, requests take turns on the one transport.
                api_.pool_cv_.wait(lock, [&] { return !api_.primary_busy_; });
            }
            if (!api_.primary_busy_) {
                api_.primary_busy_ = true;
                transport_ = &api_.transport_;
                return;
            }
            if (!api_.spare_.empty()) {
                owned_ = std::move(api_.spare_.back());
                api_.spare_.pop_back();
            } else {
                lock.unlock();  // making a transport may take a while; others need not wait
                owned_ = api_.options_.make_transport();
            }
            transport_ = owned_.get();
        }
        ~TransportLease() {
            {
                std::lock_guard lock(api_.pool_mu_);
                if (owned_)
                    api_.spare_.push_back(std::move(owned_));
                else
                    api_.primary_busy_ = false;
            }
            api_.pool_cv_.notify_all();
        }
        TransportLease(const TransportLease&) = delete;
        TransportLease& operator=(const TransportLease&) = delete;
        HttpTransport& operator*() { return *transport_; }

      private:
        HubSpotApiClient& api_;
        HttpTransport* transport_ = nullptr;
        std::unique_ptr<HttpTransport> owned_;
    };

    Status wait_until(Instant until, const std::string& what, const char* why) {
        return budget_.wait_until(until, what, why);
    }

    Millis backoff(int failures) {
        // Exponential with full jitter, floored at half the base so a retry never fires at once.
        const Millis base = std::max(options_.backoff_base, Millis(1));
        const Millis cap = exponential_backoff(failures, base, options_.backoff_max);
        std::uniform_int_distribution<std::int64_t> dist(base.count() / 2, cap.count());
        std::lock_guard lock(stats_mu_);
        return Millis(dist(rng_));
    }

    // What one attempt asks for next: a retry after `delay`, unless the budget is spent.
    struct Retry {
        Error failure;  // returned when no attempt is left
        Millis delay{0};
        std::string reason;  // for the log line
        ErrorBody body;      // for the correlationId
        bool bad_body = false;
    };
    using Step = std::variant<Status, Retry>;  // Status: the call's final outcome

    // Sends `call` until it succeeds or fails for good; `decode` sees every 2xx response.
    Status execute(const Call& call, const Decode& decode) {
        int failures = 0;    // retryable failures so far, bounded by max_attempts
        int bad_bodies = 0;  // of which unusable 2xx bodies
        bool refreshed = false;
        std::optional<std::string> refreshed_token;

        for (;;) {
            HS_ASSIGN_OR_RETURN(const RateBudget::Ticket ticket,
                                budget_.acquire(call.bucket, call.what));
            const std::uint64_t seq = ticket.seq;
            std::string token;
            if (refreshed_token) {
                token = std::move(*refreshed_token);
                refreshed_token.reset();
            } else {
                auto got = tokens_.access_token();
                if (!got.ok()) {
                    budget_.finished(ticket.bucket, seq, nullptr, Millis(0));
                    return std::move(got).error();
                }
                token = std::move(got).value();
            }
            const Instant sent_at = clock_.now();
            auto sent = send(call, token);
            budget_.finished(ticket.bucket, seq, sent.ok() ? &sent.value() : nullptr,
                             std::chrono::duration_cast<Millis>(clock_.now() - sent_at));

            if (sent.ok() && sent->status == 401) {
                count(&ApiStats::unauthorized);
                if (refreshed) return unauthorized(call);
                refreshed = true;
                HS_ASSIGN_OR_RETURN(std::string fresh, tokens_.refresh_after_unauthorized(token));
                refreshed_token = std::move(fresh);
                count(&ApiStats::retries);
                HS_LOG_INFO(
                    "{}: HubSpot answered 401 on {} {}{}; retrying once with a refreshed "
                    "token",
                    call.what, call.method, path_of(call.url),
                    correlation_suffix(decode_error_body(sent->body)));
                continue;
            }

            // If this attempt fails, it is failure number failures + 1.
            Step step = sent.ok() ? on_response(call, sent.value(), decode, failures + 1)
                                  : on_transport_error(call, std::move(sent).error(), failures + 1);
            if (auto* done = std::get_if<Status>(&step)) return std::move(*done);
            Retry& retry = std::get<Retry>(step);
            ++failures;
            if (retry.bad_body) ++bad_bodies;
            if (retry.delay > std::max({options_.max_wait, options_.backoff_max, kTenSeconds})) {
                retry.failure.message +=
                    fmt::format(" (HubSpot asks to wait {} s, longer than max_wait {} s)",
                                retry.delay.count() / 1000, options_.max_wait.count() / 1000);
                return retry.failure;
            }
            if (failures >= options_.max_attempts ||
                (retry.bad_body && bad_bodies >= options_.max_bad_body_attempts)) {
                retry.failure.message += fmt::format(" (gave up after {} attempts)", failures);
                return retry.failure;
            }
            HS_LOG_WARN("{}: {} on {} {}{}; retry {} in {} ms", call.what, retry.reason,
                        call.method, path_of(call.url), correlation_suffix(retry.body), failures,
                        retry.delay.count());
            count(&ApiStats::retries);
            HS_RETURN_IF_ERROR(wait_until(clock_.now() + retry.delay, call.what, "retry backoff"));
        }
    }

    Result<HttpResponse> send(const Call& call, const std::string& token) {
        HttpRequest request;
        request.method = call.method;
        request.url = call.url;
        request.headers.emplace_back("Authorization", "Bearer " + token);
        request.headers.emplace_back("Accept", "application/json");
        // Every call of this client reads (searches and batch reads too): safe to send twice.
        request.idempotent = true;
        if (!call.body.empty()) {
            request.body = call.body;
            request.content_type = "application/json";
        }
        count(&ApiStats::requests);
        if (call.bucket == Bucket::kSearch) count(&ApiStats::searches);
        TransportLease transport(*this);
        return (*transport).send(request);
    }

    Step on_transport_error(const Call& call, Error error, int nth) {
        if (error.kind != ErrorKind::kTransient) return Status(std::move(error));
        count(&ApiStats::transport_errors);
        Retry retry;
        retry.reason = error.message;
        retry.failure =
            make_error(ErrorKind::kTransient,
                       fmt::format("{}: could not reach HubSpot: {}", call.what, error.message),
                       "check the network connection; hubsync retries on its own");
        retry.delay = backoff(nth);
        return retry;
    }

    Step on_response(const Call& call, const HttpResponse& response, const Decode& decode,
                     int nth) {
        const int status = response.status;
        if (status >= 200 && status <= 299) {
            Status decoded = decode(response);
            if (decoded.ok() || decoded.error().kind != ErrorKind::kTransient) return decoded;
            count(&ApiStats::bad_bodies);
            Retry retry;
            retry.failure = std::move(decoded).error();
            retry.reason = fmt::format("HTTP {} but {}", status, retry.failure.message);
            retry.failure.message = fmt::format("{}: {}", call.what, retry.failure.message);
            retry.delay = backoff(nth);
            retry.bad_body = true;
            return retry;
        }
        if (status == 403) return Status(forbidden(call, response));
        if (status == 429) return on_rate_limited(call, response);
        if (status == 423 || status == 477 || is_transient_status(status)) {
            if (is_transient_status(status)) count(&ApiStats::server_errors);
            Retry retry;
            retry.body = decode_error_body(response.body);
            retry.delay = backoff(nth);
            // 503 and 477 may name their own wait; 423 wants at least two seconds.
            if (const auto after = retry_after(response, clock_.now()))
                retry.delay = std::max(retry.delay, *after);
            if (status == 423) retry.delay = std::max(retry.delay, kLockedWait);
            retry.reason = "HTTP " + describe_status(status, retry.body);
            retry.failure = make_error(
                ErrorKind::kTransient,
                fmt::format("{}: HubSpot is unavailable ({}{})", call.what,
                            describe_status(status, retry.body), correlation_suffix(retry.body)),
                "usually temporary; hubsync retries on its own");
            return retry;
        }
        return Status(permanent_error(call, response));
    }

    Step on_rate_limited(const Call& call, const HttpResponse& response) {
        count(&ApiStats::rate_limited);
        Retry retry;
        retry.body = decode_error_body(response.body);
        const std::string& policy = retry.body.policy_name;
        if (policy == "DAILY") {
            return Status(make_error(
                ErrorKind::kRateLimited,
                fmt::format("{}: HubSpot's daily API limit for this account is used up (429 "
                            "DAILY{}); stopping instead of retrying",
                            call.what, correlation_suffix(retry.body)),
                "syncing can resume after the daily limit resets at midnight in the account's "
                "time zone; lower the sync frequency or raise the account's limit"));
        }
        if (const auto after = retry_after(response, clock_.now())) {
            retry.delay = std::max(*after, kMinRateLimitWait);
        } else if (policy == "TEN_SECONDLY_ROLLING") {
            retry.delay = kTenSeconds;
        } else if (policy == "SECONDLY") {
            retry.delay = kOneSecond;
        } else {
            // No policy named: the window of the bucket this request counts against.
            retry.delay = call.bucket == Bucket::kSearch ? kOneSecond : kTenSeconds;
        }
        // A 429 means something else shares the budget: keep the whole bucket quiet meanwhile.
        // (Capped: a Retry-After too long to wait out fails this call, not every later one.)
        if (budget_.quiet_for(call.bucket, retry.delay))
            HS_LOG_WARN(
                "{}: HubSpot counted it against the 10-second limit, which its API "
                "description exempts it from; such reads now share that budget",
                call.what);
        retry.reason = "HTTP 429 " + (policy.empty() ? std::string("(no policy named)") : policy);
        retry.failure =
            make_error(ErrorKind::kRateLimited,
                       fmt::format("{}: HubSpot rate limit hit (429 {}{})", call.what,
                                   policy.empty() ? "without a policy name" : policy,
                                   correlation_suffix(retry.body)),
                       "another application may be using the same account's API budget; lower "
                       "requests_per_10s / searches_per_second");
        return retry;
    }

    Error unauthorized(const Call& call) const {
        return make_error(ErrorKind::kUnauthorized,
                          fmt::format("{}: HubSpot rejected the access token (401) even after a "
                                      "refresh",
                                      call.what),
                          "run `hubsync authorize` again, or check that the app is still "
                          "installed in the HubSpot account");
    }

    Error forbidden(const Call& call, const HttpResponse& response) const {
        const ErrorBody body = decode_error_body(response.body);
        // Name the scope HubSpot says is missing; the call's own scope when it says none.
        std::string scopes;
        for (const auto& s : body.required_scopes)
            scopes += (scopes.empty() ? "" : ", ") + s;
        if (scopes.empty()) scopes = call.scope;
        return make_error(
            ErrorKind::kForbidden,
            fmt::format("{}: HubSpot refused access ({}{}); the token lacks the {} scope",
                        call.what, describe_status(response.status, body), correlation_suffix(body),
                        scopes),
            fmt::format("grant the {} scope to the app (or private app) and run `hubsync "
                        "authorize` again",
                        scopes));
    }

    Error permanent_error(const Call& call, const HttpResponse& response) {
        const ErrorBody body = decode_error_body(response.body);
        const int status = response.status;
        const std::string detail = describe_status(status, body) + correlation_suffix(body);
        if (status == 414) {
            return plan_error(
                fmt::format("{}: HubSpot answered 414 URI Too Long for a {} character URL",
                            call.what, call.url.size()));
        }
        if (status == 404) {
            return make_error(
                ErrorKind::kNotFound,
                fmt::format("{}: HubSpot answered {} for {}", call.what, detail, path_of(call.url)),
                fmt::format("check api_base_url and api_version ({}) in the configuration",
                            version_));
        }
        if (status >= 400 && status <= 499) {
            return plan_error(
                fmt::format("{}: HubSpot rejected the request ({})", call.what, detail));
        }
        return make_error(
            ErrorKind::kBadData,
            fmt::format("{}: unexpected HTTP status from HubSpot ({})", call.what, detail),
            "check base_url and any proxy between hubsync and HubSpot");
    }

    // Adds one to a counter.
    void count(std::int64_t ApiStats::*counter) {
        std::lock_guard lock(stats_mu_);
        ++(stats_.*counter);
    }

    HttpTransport& transport_;
    AccessTokenSource& tokens_;
    Clock& clock_;
    ApiOptions options_;
    std::string base_url_;
    std::string version_;
    RateBudget budget_;
    std::mt19937_64 rng_;  // under stats_mu_
    mutable std::mutex stats_mu_;
    ApiStats stats_;
    // The transport pool: the one given at construction, and spares for concurrent requests.
    std::mutex pool_mu_;
    std::condition_variable pool_cv_;
    bool primary_busy_ = false;
    std::vector<std::unique_ptr<HttpTransport>> spare_;
};

}  // namespace

Status HubSpotApi::call(const EndpointCall& call, const std::function<Status(std::string_view)>&) {
    return make_error(ErrorKind::kInternal, call.what + ": not supported by this API client",
                      "this is a bug; please report it");
}

std::unique_ptr<HubSpotApi> make_hubspot_api(HttpTransport& transport, AccessTokenSource& tokens,
                                             Clock& clock, const ApiOptions& options) {
    return std::make_unique<HubSpotApiClient>(transport, tokens, clock, options);
}

}  // namespace hubsync
