// The simulator's HTTP server, dispatch, faults, rate limits and request log, plus the public
// C++ API that tests drive.
#include "sim/simulator.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <atomic>
#include <istream>
#include <stdexcept>
#include <thread>

#include "model/endpoints.h"
#include "model/object_type.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {

// ---------------------------------------------------------------- data sensitivity

std::string_view sensitivity_name(DataSensitivity sensitivity) {
    switch (sensitivity) {
        case DataSensitivity::kSensitive:
            return "sensitive";
        case DataSensitivity::kHighlySensitive:
            return "highly_sensitive";
        default:
            return "non_sensitive";
    }
}

std::optional<DataSensitivity> parse_sensitivity(std::string_view name) {
    for (const DataSensitivity s : {DataSensitivity::kNonSensitive, DataSensitivity::kSensitive,
                                    DataSensitivity::kHighlySensitive})
        if (sensitivity_name(s) == name) return s;
    return std::nullopt;
}

std::string_view contacts_scope_for(DataSensitivity sensitivity) {
    switch (sensitivity) {
        case DataSensitivity::kSensitive:
            return contacts_type().sensitive_scope;
        case DataSensitivity::kHighlySensitive:
            return "crm.objects.contacts.highly_sensitive.read.v2";
        default:
            return {};
    }
}

// ---------------------------------------------------------------- request helpers

std::string SimRequest::param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return v;
    return {};
}

bool SimRequest::has_param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return true;
    return false;
}

std::vector<std::string> SimRequest::all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : params)
        if (k == name) out.push_back(v);
    return out;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

QueryParams parse_form(std::string_view text) {
    QueryParams out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('&', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view pair = text.substr(start, end - start);
        if (!pair.empty()) {
            const std::size_t eq = pair.find('=');
            if (eq == std::string_view::npos) {
                out.emplace_back(percent_decode(pair, true), std::string());
            } else {
                out.emplace_back(percent_decode(pair.substr(0, eq), true),
                                 percent_decode(pair.substr(eq + 1), true));
            }
        }
        start = end + 1;
    }
    return out;
}

std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

// ---------------------------------------------------------------- faults

FaultRule FaultRule::fail_next(std::string path_prefix, int n, int status) {
    FaultRule r;
    r.kind = Kind::kStatus;
    r.path_prefix = std::move(path_prefix);
    r.count = n;
    r.status = status;
    return r;
}

FaultRule FaultRule::rate_limit_next(std::string path_prefix, int n,
                                     std::optional<int> retry_after_seconds) {
    FaultRule r;
    r.kind = Kind::kRateLimit;
    r.path_prefix = std::move(path_prefix);
    r.count = n;
    r.status = 429;
    r.retry_after_seconds = retry_after_seconds;
    return r;
}

FaultRule FaultRule::of_kind(Kind kind, std::string path_prefix, int n) {
    FaultRule r;
    r.kind = kind;
    r.path_prefix = std::move(path_prefix);
    r.count = n;
    if (kind == Kind::kHtmlError) r.status = 502;
    return r;
}

FaultRule FaultRule::token_endpoint_outage() {
    FaultRule r = fail_next("/oauth/", -1, 503);
    r.method = "POST";  // token, introspect and revoke; the authorize page stays up
    return r;
}

namespace {

bool fault_applies_to(const FaultRule& rule, const SimRequest& req) {
    if (req.path.rfind("/_sim/", 0) == 0) return false;
    if (!rule.method.empty() && rule.method != req.method) return false;
    return req.path.rfind(rule.path_prefix, 0) == 0;
}

const char* reason_for(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 207:
            return "Multi-Status";
        case 302:
            return "Found";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 423:
            return "Locked";
        case 429:
            return "Too Many Requests";
        case 408:
            return "Request Timeout";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        // HubSpot's own and its CDN's (Cloudflare) statuses.
        case 477:
            return "Migration in Progress";
        case 521:
            return "Web Server Is Down";
        case 522:
            return "Connection Timed Out";
        case 523:
            return "Origin Is Unreachable";
        case 524:
            return "A Timeout Occurred";
        default:
            return "Unknown";
    }
}

}  // namespace

std::optional<FaultRule> Simulator::Impl::match_fault(const SimRequest& req) {
    std::lock_guard lock(fault_mu_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->count == 0 || !fault_applies_to(*it, req)) continue;
        if (it->fraction < 1.0) {
            const std::uint64_t roll = mix64(opts_.seed ^ 0xFA017ULL ^ ++fault_rolls_);
            if (static_cast<double>(roll % 1'000'000) / 1'000'000.0 >= it->fraction) continue;
        }
        FaultRule hit = *it;
        if (it->count > 0) --it->count;
        return hit;
    }
    return std::nullopt;
}

void Simulator::Impl::add_fault(FaultRule rule) {
    std::lock_guard lock(fault_mu_);
    faults_.push_back(std::move(rule));
}

void Simulator::Impl::clear_faults() {
    std::lock_guard lock(fault_mu_);
    faults_.clear();
}

std::vector<FaultRule> Simulator::Impl::faults() const {
    std::lock_guard lock(fault_mu_);
    return faults_;
}

// ---------------------------------------------------------------- rate limits

bool Simulator::Impl::take_ten_secondly(SimResponse& resp) {
    if (!rate_limits_.load()) return true;
    constexpr int kMax = 110;
    constexpr std::int64_t kWindow = 10'000;
    const std::int64_t now = now_ms();
    int remaining = 0;
    bool ok = true;
    {
        std::lock_guard lock(rate_mu_);
        auto& q = ten_secondly_;
        while (!q.empty() && q.front() <= now - kWindow)
            q.pop_front();
        if (static_cast<int>(q.size()) >= kMax) {
            ok = false;
        } else {
            q.push_back(now);
            remaining = kMax - static_cast<int>(q.size());
        }
    }
    resp.headers.emplace_back("X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
    resp.headers.emplace_back("X-HubSpot-RateLimit-Max", std::to_string(kMax));
    resp.headers.emplace_back("X-HubSpot-RateLimit-Remaining", std::to_string(remaining));
    if (!ok) {
        resp.status = 429;
        resp.body =
            R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":")" +
            correlation_id() + R"(","policyName":"TEN_SECONDLY_ROLLING"})";
    }
    return ok;
}

bool Simulator::Impl::take_secondly(SimResponse& resp) {
    if (!rate_limits_.load()) return true;
    constexpr int kMax = 5;
    const std::int64_t now = now_ms();
    {
        std::lock_guard lock(rate_mu_);
        while (!secondly_.empty() && secondly_.front() <= now - 1000)
            secondly_.pop_front();
        if (static_cast<int>(secondly_.size()) < kMax) {
            secondly_.push_back(now);
            return true;
        }
    }
    resp.status = 429;
    resp.body =
        R"({"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":")" +
        correlation_id() + R"(","policyName":"SECONDLY"})";
    return false;
}

// ---------------------------------------------------------------- log

void Simulator::Impl::log_request(const SimRequest& req, const SimResponse& resp,
                                  Instant received) {
    RequestRecord rec{req.method, req.path, resp.status, received, resp.expired_token, req.query};
    std::lock_guard lock(log_mu_);
    log_.push_back(std::move(rec));
    ++served_;
    while (log_.size() > opts_.max_request_log)
        log_.pop_front();
}

// ---------------------------------------------------------------- dispatch

std::string Simulator::Impl::correlation_id() {
    const std::uint64_t a = mix64(opts_.seed ^ ++correlation_counter_);
    const std::uint64_t b = mix64(a);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                  static_cast<unsigned>(b >> 48),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

void Simulator::Impl::error_body(SimResponse& resp, int status, std::string_view category,
                                 std::string_view message) {
    resp.status = status;
    resp.content_type = "application/json;charset=utf-8";
    resp.body = "{\"status\":\"error\",\"message\":";
    append_json_string(resp.body, message);
    resp.body += ",\"correlationId\":\"" + correlation_id() + "\",\"category\":";
    append_json_string(resp.body, category);
    resp.body += "}";
}

namespace {

// What HubSpot says with each injected status (category, message).
std::pair<const char*, const char*> status_fault_text(int status) {
    switch (status) {
        case 423:
            return {"LOCKED", "The resource is locked by another operation; retry in 2 seconds."};
        case 477:
            return {"MIGRATION_IN_PROGRESS",
                    "This account is being migrated; retry after the time in Retry-After."};
        case 502:
        case 503:
        case 504:
        case 521:
        case 522:
        case 523:
        case 524:
            return {"INTERNAL_ERROR", "HubSpot is temporarily unavailable; pause and retry."};
        default:
            return {"INTERNAL_ERROR", "Simulated failure."};
    }
}

}  // namespace

void Simulator::Impl::answer_fault(const FaultRule& fault, SimResponse& resp) {
    using Kind = FaultRule::Kind;
    const std::string status = std::to_string(fault.status);
    if (fault.kind == Kind::kStatus) {
        const auto [category, message] = status_fault_text(fault.status);
        error_body(
            resp, fault.status, category,
            std::string(message) + " (injected " + status + " " + reason_for(fault.status) + ")");
    } else if (fault.kind == Kind::kRateLimit) {
        resp.status = 429;
        resp.body =
            R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":")" +
            correlation_id() + R"(","policyName":"TEN_SECONDLY_ROLLING"})";
    } else {
        resp.status = fault.status;
        resp.content_type = "text/html; charset=UTF-8";
        resp.body = std::string("<!DOCTYPE html>\n<html><head><title>api.hubapi.com | ") + status +
                    ": " + reason_for(fault.status) + "</title></head><body><h1>Error " + status +
                    "</h1><p>" + reason_for(fault.status) +
                    ": the web server reported an error.</p></body></html>";
    }
    if (!fault.retry_after_seconds) return;
    std::string value;
    if (fault.retry_after_http_date) {
        // Rounded up: a client that waits until this date has waited the full time.
        const std::int64_t at = now_ms() + std::int64_t{*fault.retry_after_seconds} * 1000;
        append_http_date(value, (at + 999) / 1000 * 1000);
    } else {
        value = std::to_string(*fault.retry_after_seconds);
    }
    resp.headers.emplace_back("Retry-After", std::move(value));
}

bool Simulator::Impl::answer_if_retired(const SimRequest& req, SimResponse& resp) {
    if (!legacy_off_.load(std::memory_order_relaxed)) return false;
    const std::optional<RetiredGeneration> retired = retired_generation_of(req.path);
    if (!retired) return false;
    error_body(resp, 404, "OBJECT_NOT_FOUND",
               "Not found: the " + std::string(retired->path_prefix) +
                   " API is no longer available (retired " + std::string(retired->stops) +
                   "). Use a dated API version, e.g. " + std::string(default_api_version()) + ".");
    return true;
}

void Simulator::Impl::handle(SimRequest& req, SimResponse& resp) {
    if (req.path.rfind("/_sim/", 0) == 0) {
        route_admin(req, resp);
        return;  // admin calls bypass auth, limits, faults and the request log
    }
    const Instant received = clock_->now();
    if (req.target.size() > opts_.max_url_length) {
        resp.status = 414;
        resp.content_type = "text/html";
        resp.body =
            "<html><head><title>414 Request-URI Too Large</title></head><body>"
            "<center><h1>414 Request-URI Too Large</h1></center></body></html>";
        log_request(req, resp, received);
        return;
    }
    if (answer_if_retired(req, resp)) {
        log_request(req, resp, received);
        return;
    }
    std::optional<FaultRule> fault = match_fault(req);
    using Kind = FaultRule::Kind;
    if (fault && (fault->kind == Kind::kStatus || fault->kind == Kind::kRateLimit ||
                  fault->kind == Kind::kHtmlError)) {
        answer_fault(*fault, resp);
        log_request(req, resp, received);
        return;
    }

    if (!route_oauth(req, resp) && !route_crm(req, resp)) {
        error_body(resp, 404, "OBJECT_NOT_FOUND",
                   "Unknown endpoint: " + req.method + " " + req.path);
    }

    if (fault) {
        switch (fault->kind) {
            case Kind::kResetMidBody:
                resp.reset_mid_body = true;
                break;
            case Kind::kDelay:
                clock_->sleep_for(fault->delay);
                if (fault->real_delay.count() > 0) std::this_thread::sleep_for(fault->real_delay);
                break;
            case Kind::kTruncatedJson:
                resp.status = 200;
                resp.body.resize(resp.body.size() / 2);
                break;
            case Kind::kMalformedJson:
                resp.status = 200;
                resp.content_type = "application/json;charset=utf-8";
                resp.body =
                    R"({"results":[{"id":"1","properties":{"email":"x@example.com",}},],"paging":)";
                break;
            default:
                break;
        }
    }
    log_request(req, resp, received);
}

// ---------------------------------------------------------------- POCO glue

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit Handler(Simulator::Impl* impl) : impl_(impl) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        SimRequest req;
        req.method = request.getMethod();
        req.target = request.getURI();
        const std::size_t q = req.target.find('?');
        req.path = percent_decode(std::string_view(req.target).substr(0, q), false);
        if (q != std::string::npos) {
            req.query = req.target.substr(q + 1);
            req.params = parse_form(req.query);
        }
        req.content_type = request.getContentType();
        req.authorization = request.get("Authorization", "");
        // Without Content-Length or chunking a request has no body (reading would block).
        std::istream& in = request.stream();
        char buf[8192];
        constexpr std::size_t kMaxBody = 4 << 20;
        const bool has_body = request.getChunkedTransferEncoding() ||
                              (request.hasContentLength() && request.getContentLength64() > 0);
        while (has_body && in && req.body.size() < kMaxBody) {
            in.read(buf, sizeof buf);
            req.body.append(buf, static_cast<std::size_t>(in.gcount()));
        }

        SimResponse resp;
        try {
            impl_->handle(req, resp);
        } catch (const std::exception& e) {
            resp = SimResponse{};
            impl_->error_body(resp, 500, "INTERNAL_ERROR",
                              std::string("simulator error: ") + e.what());
        }

        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status),
                                    reason_for(resp.status));
        for (const auto& [k, v] : resp.headers)
            response.set(k, v);
        if (resp.status == 204 || resp.status == 302) {
            response.setContentLength(0);
            response.send();
            return;
        }
        response.setContentType(resp.content_type);
        response.setContentLength(static_cast<std::streamsize>(resp.body.size()));
        if (resp.reset_mid_body) {
            response.setKeepAlive(false);
            auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
            std::ostream& out = response.send();
            out.write(resp.body.data(), static_cast<std::streamsize>(resp.body.size() / 2));
            out.flush();
            socket.setLinger(true, 0);  // closing now sends RST, not FIN
            socket.close();
            return;
        }
        response.sendBuffer(resp.body.data(), resp.body.size());
    }

  private:
    Simulator::Impl* impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit Factory(Simulator::Impl* impl) : impl_(impl) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Handler(impl_);
    }

  private:
    Simulator::Impl* impl_;
};

}  // namespace

Simulator::Impl::Impl(SimOptions options)
    : opts_(std::move(options)),
      clock_(opts_.clock ? opts_.clock : &SystemClock::instance()),
      store_(opts_.contacts, opts_.custom_properties, opts_.seed, opts_.index_delay_min.count(),
             opts_.index_delay_max.count()),
      rate_limits_(opts_.rate_limits),
      rotate_(opts_.rotate_refresh_tokens),
      legacy_off_(opts_.legacy_off),
      token_rng_(mix64(opts_.seed ^ 0x70CE5ULL)) {}

Simulator::Impl::~Impl() {
    stop();
}

Status Simulator::Impl::start() {
    if (server_) return Status::Ok();
    try {
        const Poco::Net::SocketAddress address(opts_.bind_address,
                                               static_cast<Poco::UInt16>(opts_.port));
        std::unique_ptr<Poco::Net::ServerSocket> socket;
        if (!opts_.tls_cert_file.empty() || !opts_.tls_key_file.empty()) {
            if (opts_.tls_cert_file.empty() || opts_.tls_key_file.empty())
                return make_error(ErrorKind::kConfig, "TLS needs both a certificate and a key file",
                                  "pass --tls-cert and --tls-key together");
            Poco::Net::Context::Ptr context =
                new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, opts_.tls_key_file,
                                       opts_.tls_cert_file, "", Poco::Net::Context::VERIFY_NONE);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
            tls_ = true;
        } else {
            socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
        }
        port_ = socket->address().port();
        auto* params = new Poco::Net::HTTPServerParams;
        // POCO keeps a thread per keep-alive connection, so the pool must exceed the number of
        // clients that hold connections open; `threads` is what serves requests concurrently.
        params->setMaxThreads(std::max(opts_.threads, 1) + 30);
        params->setMaxQueued(256);
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(0);
        params->setKeepAliveTimeout(Poco::Timespan(5, 0));
        pool_ = std::make_unique<Poco::ThreadPool>(2, params->getMaxThreads() + 2, 60);
        server_ =
            std::make_unique<Poco::Net::HTTPServer>(new Factory(this), *pool_, *socket, params);
        server_->start();
    } catch (const Poco::Exception& e) {
        return make_error(ErrorKind::kConfig,
                          "hubspot-sim cannot listen on " + opts_.bind_address + ":" +
                              std::to_string(opts_.port) + ": " + e.displayText(),
                          "pick another --port or fix the TLS files");
    }
    return Status::Ok();
}

void Simulator::Impl::stop() {
    if (!server_) return;
    // POCO's accept loop polls in 250 ms steps; poking the listening socket lets it notice the
    // stop at once, which keeps test suites that start a simulator per test fast.
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
        server_->stopAll(true);
        stopped = true;
    });
    while (!stopped.load()) {
        try {
            Poco::Net::StreamSocket poke;
            poke.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)),
                         Poco::Timespan(0, 50'000));
        } catch (const Poco::Exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    stopper.join();
    // Handlers still running (a delayed response, say) use this object: wait for them.
    pool_->joinAll();
    server_.reset();
    pool_.reset();
}

// ---------------------------------------------------------------- public API

Simulator::Simulator(SimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Simulator::~Simulator() {
    impl_->stop();
}
Status Simulator::start() {
    return impl_->start();
}
void Simulator::stop() {
    impl_->stop();
}
int Simulator::port() const {
    return impl_->port_;
}
std::string Simulator::base_url() const {
    return std::string(impl_->tls_ ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(impl_->port_);
}

Simulator::Tokens Simulator::issue_tokens() {
    return impl_->mint_tokens(impl_->opts_.granted_scopes);
}
Simulator::Tokens Simulator::issue_tokens(const std::vector<std::string>& scopes) {
    return impl_->mint_tokens(scopes);
}
Simulator::Tokens Simulator::issue_app_token(const std::vector<std::string>& scopes) {
    return impl_->mint_app_token(scopes);
}
std::string Simulator::issue_code(const std::string& redirect_uri, const std::string& challenge) {
    return impl_->mint_code(redirect_uri, impl_->opts_.granted_scopes, challenge,
                            challenge.empty() ? "" : "S256");
}

std::vector<Record> Simulator::truth(bool include_archived, bool include_sensitive) const {
    return impl_->store_.truth(include_archived, include_sensitive);
}
std::vector<RecordId> Simulator::contact_ids(bool include_archived) const {
    return impl_->store_.ids(include_archived);
}
std::optional<Record> Simulator::contact(RecordId id, bool include_sensitive) const {
    return impl_->store_.contact(id, include_sensitive);
}
std::vector<PropertyDef> Simulator::property_defs() const {
    return property_defs(DataSensitivity::kNonSensitive);
}
std::vector<PropertyDef> Simulator::property_defs(DataSensitivity sensitivity) const {
    std::vector<PropertyDef> out;
    for (const auto& p : impl_->store_.properties())
        if (p.sensitivity == sensitivity) out.push_back(p.def);
    return out;
}

namespace {
std::vector<std::pair<int, std::string>> to_values(
    const ContactStore& store, const std::map<std::string, std::string>& props) {
    std::vector<std::pair<int, std::string>> out;
    for (const auto& [name, value] : props) {
        const int p = store.property_index(name);
        if (p < 0) throw std::invalid_argument("unknown contact property: " + name);
        if (store.property_read_only(name))
            throw std::invalid_argument("read-only contact property: " + name);
        out.emplace_back(p, value);
    }
    std::sort(out.begin(), out.end());
    return out;
}
}  // namespace

RecordId Simulator::create_contact(const std::map<std::string, std::string>& props) {
    return impl_->store_.create(to_values(impl_->store_, props), impl_->now_ms());
}
void Simulator::update_contact(RecordId id, const std::map<std::string, std::string>& props) {
    impl_->store_.update(id, to_values(impl_->store_, props), impl_->now_ms());
}
void Simulator::update_many_same_millisecond(const std::vector<RecordId>& ids,
                                             const std::map<std::string, std::string>& props) {
    const auto values = to_values(impl_->store_, props);
    const std::int64_t now = impl_->now_ms();
    for (RecordId id : ids)
        impl_->store_.update(id, values, now);
}
void Simulator::archive(RecordId id) {
    impl_->store_.archive(id, impl_->now_ms());
}
void Simulator::restore(RecordId id) {
    impl_->store_.restore(id, impl_->now_ms());
}
RecordId Simulator::merge(RecordId primary, RecordId to_merge) {
    return impl_->store_.merge(primary, to_merge, impl_->now_ms());
}
void Simulator::gdpr_delete(RecordId id) {
    impl_->store_.gdpr_delete(id);
}
void Simulator::purge_archived_older_than(std::chrono::hours age) {
    impl_->store_.purge_archived_before(impl_->now_ms() -
                                        std::chrono::duration_cast<Millis>(age).count());
}
void Simulator::add_property(PropertyDef def, DataSensitivity sensitivity) {
    impl_->store_.add_property(def, sensitivity);
}

void Simulator::add_fault(FaultRule rule) {
    impl_->add_fault(std::move(rule));
}
void Simulator::clear_faults() {
    impl_->clear_faults();
}
void Simulator::revoke_all_refresh_tokens() {
    impl_->revoke_all_refresh_tokens();
}
void Simulator::set_rotate_refresh_tokens(bool on) {
    impl_->rotate_ = on;
}
void Simulator::set_rate_limits(bool on) {
    impl_->rate_limits_ = on;
}
void Simulator::set_legacy_off(bool on) {
    impl_->legacy_off_ = on;
}

std::vector<Simulator::RequestRecord> Simulator::requests() const {
    std::lock_guard lock(impl_->log_mu_);
    return {impl_->log_.begin(), impl_->log_.end()};
}
std::uint64_t Simulator::requests_served() const {
    std::lock_guard lock(impl_->log_mu_);
    return impl_->served_;
}
std::vector<Simulator::RequestRecord> Simulator::requests_since(std::uint64_t served) const {
    std::lock_guard lock(impl_->log_mu_);
    const std::uint64_t first = impl_->served_ - impl_->log_.size();  // serial of log_.front()
    const std::uint64_t skip = served > first ? served - first : 0;
    if (skip >= impl_->log_.size()) return {};
    return {impl_->log_.begin() + static_cast<std::ptrdiff_t>(skip), impl_->log_.end()};
}
int Simulator::count_status(int status) const {
    std::lock_guard lock(impl_->log_mu_);
    return static_cast<int>(
        std::count_if(impl_->log_.begin(), impl_->log_.end(),
                      [&](const RequestRecord& r) { return r.status == status; }));
}
int Simulator::count_path(const std::string& prefix) const {
    std::lock_guard lock(impl_->log_mu_);
    return static_cast<int>(
        std::count_if(impl_->log_.begin(), impl_->log_.end(),
                      [&](const RequestRecord& r) { return r.path.rfind(prefix, 0) == 0; }));
}
int Simulator::count_legacy() const {
    std::lock_guard lock(impl_->log_mu_);
    return static_cast<int>(std::count_if(
        impl_->log_.begin(), impl_->log_.end(),
        [](const RequestRecord& r) { return retired_generation_of(r.path).has_value(); }));
}
void Simulator::clear_requests() {
    std::lock_guard lock(impl_->log_mu_);
    impl_->log_.clear();
}

}  // namespace hubsync::sim
