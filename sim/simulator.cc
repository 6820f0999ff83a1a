// The simulator's HTTP server, dispatch, faults, rate limits and request log, plus the public
// C++ API that tests drive.
#include "sim/simulator.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timestamp.h>

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

namespace {

constexpr std::int64_t kTenSeconds = 10'000;
constexpr int kSearchPerSecond = 5;

}  // namespace

Simulator::Impl::Verdict Simulator::Impl::take(std::deque<std::int64_t>& window,
                                               std::int64_t window_ms, int max, Policy policy,
                                               SimResponse& resp) {
    Verdict v;
    const std::int64_t daily_limit = daily_limit_.load();
    std::lock_guard lock(rate_mu_);
    // The clock is read under the lock, so the order requests count in is the order of their
    // instants, and a concurrent handler cannot record an older instant behind a newer one.
    const Instant now = std::max(clock_->now(), from_epoch_ms(limiter_ms_));
    const std::int64_t ms = to_epoch_ms(now);
    limiter_ms_ = ms;
    resp.counted_at = now;
    while (!window.empty() && window.front() <= ms - window_ms)
        window.pop_front();
    if (ms / kDayMs != day_) {
        day_ = ms / kDayMs;
        day_used_ = 0;
    }
    if (daily_limit > 0 && day_used_ >= daily_limit) {
        v.refused = Policy::kDaily;
    } else if (static_cast<int>(window.size()) >= max) {
        v.refused = policy;
    } else {
        window.push_back(ms);
        ++day_used_;
    }
    v.remaining = std::max(0, max - static_cast<int>(window.size()));
    v.daily_limit = daily_limit;
    v.daily_remaining = std::max<std::int64_t>(0, daily_limit - day_used_);
    return v;
}

void Simulator::Impl::rate_limited(SimResponse& resp, Policy policy) {
    const char* name = policy == Policy::kDaily      ? "daily"
                       : policy == Policy::kSecondly ? "secondly"
                                                     : "ten_secondly_rolling";
    const char* policy_name = policy == Policy::kDaily      ? "DAILY"
                              : policy == Policy::kSecondly ? "SECONDLY"
                                                            : "TEN_SECONDLY_ROLLING";
    resp.status = 429;
    resp.body = std::string(R"({"status":"error","message":"You have reached your )") + name +
                R"( limit.","errorType":"RATE_LIMIT","correlationId":")" + correlation_id() +
                R"(","policyName":")" + policy_name + R"("})";
}

bool Simulator::Impl::take_ten_secondly(SimResponse& resp) {
    if (!rate_limits_.load()) return true;
    const int max = rate_limit_.load();
    const Verdict v = take(ten_secondly_, kTenSeconds, max, Policy::kTenSecondly, resp);
    resp.headers.emplace_back("X-HubSpot-RateLimit-Interval-Milliseconds",
                              std::to_string(kTenSeconds));
    resp.headers.emplace_back("X-HubSpot-RateLimit-Max", std::to_string(max));
    resp.headers.emplace_back("X-HubSpot-RateLimit-Remaining", std::to_string(v.remaining));
    if (v.daily_limit > 0) {
        resp.headers.emplace_back("X-HubSpot-RateLimit-Daily", std::to_string(v.daily_limit));
        resp.headers.emplace_back("X-HubSpot-RateLimit-Daily-Remaining",
                                  std::to_string(v.daily_remaining));
    }
    if (v.refused != Policy::kNone) rate_limited(resp, v.refused);
    return v.refused == Policy::kNone;
}

// Search answers carry no rate-limit headers; a search still counts against the daily cap.
bool Simulator::Impl::take_secondly(SimResponse& resp) {
    if (!rate_limits_.load()) return true;
    const Verdict v = take(secondly_, 1000, kSearchPerSecond, Policy::kSecondly, resp);
    if (v.refused != Policy::kNone) rate_limited(resp, v.refused);
    return v.refused == Policy::kNone;
}

// ---------------------------------------------------------------- log

void Simulator::Impl::log_request(const SimRequest& req, const SimResponse& resp,
                                  Instant received) {
    RequestRecord rec{req.method,         req.path,  resp.status, received,
                      resp.expired_token, req.query, resp.hold,   {}};
    if (req.method == "POST") rec.body_head = req.body.substr(0, RequestRecord::kKeptBodyBytes);
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
        rate_limited(resp, Policy::kTenSecondly);
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
        return;  // admin calls bypass auth, limits, faults, latency and the request log
    }
    const Instant received = clock_->now();
    answer(req, resp);
    resp.hold = latency_for(resp.body.size());
    log_request(req, resp, resp.counted_at.value_or(received));
}

void Simulator::Impl::answer_uri_too_long(SimResponse& resp) {
    resp.status = 414;
    resp.content_type = "text/html";
    resp.body =
        "<html><head><title>414 Request-URI Too Large</title></head><body>"
        "<center><h1>414 Request-URI Too Large</h1></center></body></html>";
}

void Simulator::Impl::answer(SimRequest& req, SimResponse& resp) {
    if (req.target_over_parser_limit || req.target.size() > opts_.max_url_length)
        return answer_uri_too_long(resp);
    if (answer_if_retired(req, resp)) return;
    std::optional<FaultRule> fault = match_fault(req);
    using Kind = FaultRule::Kind;
    if (fault && (fault->kind == Kind::kStatus || fault->kind == Kind::kRateLimit ||
                  fault->kind == Kind::kHtmlError))
        return answer_fault(*fault, resp);

    if (!route_oauth(req, resp) && !route_associations(req, resp) && !route_crm(req, resp)) {
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
            case Kind::kEmptyResults:
                resp.status = 200;
                resp.content_type = "application/json;charset=utf-8";
                resp.body = R"({"total":0,"results":[]})";
                break;
            default:
                break;
        }
    }
}

std::chrono::microseconds Simulator::Impl::latency_for(std::size_t body_bytes) {
    std::int64_t us = latency_us_.load();
    if (const std::int64_t jitter = jitter_us_.load(); jitter > 0) {
        const std::uint64_t roll = mix64(opts_.seed ^ 0x1A7E9CULL ^ ++latency_rolls_);
        us += static_cast<std::int64_t>(roll % static_cast<std::uint64_t>(2 * jitter + 1)) - jitter;
    }
    us += per_kib_us_.load() * static_cast<std::int64_t>(body_bytes) / 1024;
    return std::chrono::microseconds(std::max<std::int64_t>(us, 0));
}

void Simulator::Impl::hold(std::chrono::microseconds hold) {
    if (hold.count() <= 0) return;
    std::unique_lock lock(conn_mu_);
    stop_cv_.wait_for(lock, hold, [&] { return stopping_; });
}

bool Simulator::Impl::track(Poco::Net::StreamSocket& socket) {
    std::lock_guard lock(conn_mu_);
    if (stopping_) return false;
    connections_.insert(&socket);
    return true;
}

void Simulator::Impl::untrack(Poco::Net::StreamSocket& socket) {
    {
        std::lock_guard lock(conn_mu_);
        if (closing_) {
            try {
                socket.close();  // now, before close_connections() returns
            } catch (const Poco::Exception&) {
            }
        }
        connections_.erase(&socket);
    }
    stop_cv_.notify_all();
}

bool Simulator::Impl::stopping() const {
    std::lock_guard lock(conn_mu_);
    return stopping_;
}

// ---------------------------------------------------------------- POCO glue

namespace {

SimRequest read_request(Poco::Net::HTTPServerRequest& request) {
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
    return req;
}

// Answers `req`, waits out the latency hold, and returns the answer to send.
SimResponse answer_held(Simulator::Impl& impl, SimRequest& req) {
    SimResponse resp;
    try {
        impl.handle(req, resp);
    } catch (const std::exception& e) {
        resp = SimResponse{};
        impl.error_body(resp, 500, "INTERNAL_ERROR", std::string("simulator error: ") + e.what());
    }
    impl.hold(resp.hold);
    return resp;
}

void set_status_and_headers(const SimResponse& resp, Poco::Net::HTTPServerResponse& response) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status),
                                reason_for(resp.status));
    for (const auto& [k, v] : resp.headers)
        response.set(k, v);
}

void send_response(const SimResponse& resp, Poco::Net::HTTPServerRequest& request,
                   Poco::Net::HTTPServerResponse& response) {
    set_status_and_headers(resp, response);
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

// What POCO's request parser throws for a request target over its 16 KiB limit.
bool target_too_long(const Poco::Net::MessageException& e) {
    return e.message() == "HTTP request URI invalid or too long";
}

// Reads and drops what the client still sends (the rest of an over-long request) until it
// closes or pauses, so closing does not reset the connection before it reads the answer.
void drain_before_close(Poco::Net::StreamSocket& socket) {
    try {
        socket.shutdownSend();
        socket.setReceiveTimeout(Poco::Timespan(0, 200'000));
        char buf[16384];
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (std::chrono::steady_clock::now() < deadline &&
               socket.receiveBytes(buf, sizeof buf) > 0) {
        }
    } catch (const Poco::Exception&) {  // a timeout or a reset: nothing more to read
    }
}

// One client connection, served on its own thread for as long as it stays open, so a request
// held for the latency never delays another connection's. Like POCO's HTTPServerConnection,
// except that a request target too long for POCO's parser gets HubSpot's 414.
class Connection final : public Poco::Net::TCPServerConnection {
  public:
    Connection(const Poco::Net::StreamSocket& socket, Simulator::Impl* impl,
               Poco::Net::HTTPServerParams::Ptr params)
        : TCPServerConnection(socket), impl_(impl), params_(std::move(params)) {}

    void run() override {
        if (!impl_->track(socket())) return;
        struct Untrack {
            Simulator::Impl* impl;
            Poco::Net::StreamSocket& socket;
            ~Untrack() { impl->untrack(socket); }
        } untrack{impl_, socket()};
        Poco::Net::HTTPServerSession session(socket(), params_);
        while (!impl_->stopping() && session.hasMoreRequests()) {
            try {
                serve_one(session);
            } catch (const Poco::Net::NoMessageException&) {
                break;  // the client closed the connection
            } catch (const Poco::Net::MessageException& e) {
                if (target_too_long(e)) {
                    refuse_long_target(session);
                } else {
                    send_status_only(session, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
                }
                break;
            } catch (const Poco::Exception&) {
                break;  // a network error: the connection is gone
            }
        }
    }

  private:
    void serve_one(Poco::Net::HTTPServerSession& session) {
        Poco::Net::HTTPServerResponseImpl response(session);
        Poco::Net::HTTPServerRequestImpl request(response, session, params_);
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive() &&
                              session.canKeepAlive());
        if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK)
            response.sendContinue();
        SimRequest req = read_request(request);
        const SimResponse resp = answer_held(*impl_, req);
        send_response(resp, request, response);
        session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() &&
                             session.canKeepAlive());
    }

    // The parser stopped inside the target: answer 414 as for any over-long target, then close.
    void refuse_long_target(Poco::Net::HTTPServerSession& session) {
        SimRequest req;
        req.target_over_parser_limit = true;
        const SimResponse resp = answer_held(*impl_, req);
        Poco::Net::HTTPServerResponseImpl response(session);
        response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
        response.setDate(Poco::Timestamp());
        set_status_and_headers(resp, response);
        response.setKeepAlive(false);
        response.setContentType(resp.content_type);
        response.setContentLength(static_cast<std::streamsize>(resp.body.size()));
        std::ostream& out = response.send();
        out.write(resp.body.data(), static_cast<std::streamsize>(resp.body.size()));
        out.flush();
        session.setKeepAlive(false);
        drain_before_close(socket());
    }

    void send_status_only(Poco::Net::HTTPServerSession& session,
                          Poco::Net::HTTPResponse::HTTPStatus status) {
        Poco::Net::HTTPServerResponseImpl response(session);
        response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
        response.setStatusAndReason(status);
        response.setKeepAlive(false);
        response.send();
        session.setKeepAlive(false);
    }

    Simulator::Impl* impl_;
    Poco::Net::HTTPServerParams::Ptr params_;
};

class ConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
  public:
    ConnectionFactory(Simulator::Impl* impl, Poco::Net::HTTPServerParams::Ptr params)
        : impl_(impl), params_(std::move(params)) {}
    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override {
        return new Connection(socket, impl_, params_);
    }

  private:
    Simulator::Impl* impl_;
    Poco::Net::HTTPServerParams::Ptr params_;
};

}  // namespace

Simulator::Impl::Impl(SimOptions options)
    : opts_(std::move(options)),
      clock_(opts_.clock ? opts_.clock : &SystemClock::instance()),
      portal_(opts_),
      rate_limits_(opts_.rate_limits),
      rotate_(opts_.rotate_refresh_tokens),
      legacy_off_(opts_.legacy_off),
      token_rng_(mix64(opts_.seed ^ 0x70CE5ULL)),
      rate_limit_(opts_.rate_limit),
      daily_limit_(opts_.daily_limit),
      latency_us_(std::chrono::microseconds(opts_.latency).count()),
      jitter_us_(std::chrono::microseconds(opts_.latency_jitter).count()),
      per_kib_us_(static_cast<std::int64_t>(opts_.latency_per_kb_ms * 1000)) {}

Simulator::Impl::~Impl() {
    stop();
}

Status Simulator::Impl::start() {
    if (server_) return Status::Ok();
    try {
        const Poco::Net::SocketAddress address(opts_.bind_address,
                                               static_cast<Poco::UInt16>(opts_.port));
        const int connections = std::max(opts_.max_connections, 1);
        // Clients that connect at once wait in the listen queue until accepted; a full queue
        // drops their SYNs and costs them a second.
        const int backlog = std::max(connections, 64);
        std::unique_ptr<Poco::Net::ServerSocket> socket;
        if (!opts_.tls_cert_file.empty() || !opts_.tls_key_file.empty()) {
            if (opts_.tls_cert_file.empty() || opts_.tls_key_file.empty())
                return make_error(ErrorKind::kConfig, "TLS needs both a certificate and a key file",
                                  "pass --tls-cert and --tls-key together");
            Poco::Net::Context::Ptr context =
                new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, opts_.tls_key_file,
                                       opts_.tls_cert_file, "", Poco::Net::Context::VERIFY_NONE);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(address, backlog, context);
            tls_ = true;
        } else {
            socket = std::make_unique<Poco::Net::ServerSocket>(address, backlog);
        }
        port_ = socket->address().port();
        // A thread per open connection (see SimOptions::max_connections).
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(connections);
        params->setMaxQueued(connections);
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(0);
        params->setKeepAliveTimeout(Poco::Timespan(5, 0));
        // A thread waiting for a connection wakes this often: POCO's stop wakes only one of
        // them, and stop() waits for all (the pool keeps the threads themselves for reuse).
        params->setThreadIdleTime(Poco::Timespan(0, 50'000));
        pool_ = std::make_unique<Poco::ThreadPool>(std::clamp(opts_.threads, 1, connections),
                                                   connections + 2, 60);
        {
            std::lock_guard lock(conn_mu_);
            stopping_ = false;
        }
        server_ = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(this, params),
                                                         *pool_, *socket, params);
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
        server_->stop();
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
    // End latency holds and idle keep-alive waits at once; handlers still running (an injected
    // delay, say) use this object: wait for them.
    {
        std::lock_guard lock(conn_mu_);
        stopping_ = true;
        for (Poco::Net::StreamSocket* socket : connections_) {
            try {
                socket->shutdown();
            } catch (const Poco::Exception&) {
            }
        }
    }
    stop_cv_.notify_all();
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
    return truth("contacts", include_archived, include_sensitive);
}
std::vector<RecordId> Simulator::contact_ids(bool include_archived) const {
    return record_ids("contacts", include_archived);
}
std::optional<Record> Simulator::contact(RecordId id, bool include_sensitive) const {
    return record("contacts", id, include_sensitive);
}
std::vector<PropertyDef> Simulator::property_defs() const {
    return property_defs("contacts", DataSensitivity::kNonSensitive);
}
std::vector<PropertyDef> Simulator::property_defs(DataSensitivity sensitivity) const {
    return property_defs("contacts", sensitivity);
}
RecordId Simulator::create_contact(const std::map<std::string, std::string>& props) {
    return create("contacts", props);
}
void Simulator::update_contact(RecordId id, const std::map<std::string, std::string>& props) {
    update("contacts", id, props);
}
void Simulator::update_many_same_millisecond(const std::vector<RecordId>& ids,
                                             const std::map<std::string, std::string>& props) {
    update_many_same_millisecond("contacts", ids, props);
}
void Simulator::archive(RecordId id) {
    archive("contacts", id);
}
void Simulator::restore(RecordId id) {
    restore("contacts", id);
}
RecordId Simulator::merge(RecordId primary, RecordId to_merge) {
    return merge("contacts", primary, to_merge);
}
void Simulator::gdpr_delete(RecordId id) {
    gdpr_delete("contacts", id);
}
void Simulator::add_property(PropertyDef def, DataSensitivity sensitivity) {
    add_property("contacts", std::move(def), sensitivity);
}
void Simulator::purge_archived_older_than(std::chrono::hours age) {
    const std::int64_t cutoff = impl_->now_ms() - std::chrono::duration_cast<Millis>(age).count();
    for (RecordStore* store : impl_->portal_.stores())
        store->purge_archived_before(cutoff);
}

std::vector<std::string> Simulator::object_types() const {
    std::vector<std::string> out;
    for (const RecordStore* store : impl_->portal_.stores())
        out.push_back(store->info().type.name);
    return out;
}
std::optional<ObjectType> Simulator::object_type(std::string_view type) const {
    const RecordStore* store = impl_->portal_.find(type);
    if (!store) return std::nullopt;
    return store->info().type;
}
std::vector<Record> Simulator::truth(std::string_view type, bool include_archived,
                                     bool include_sensitive) const {
    return impl_->portal_.get(type).truth(include_archived, include_sensitive);
}
std::optional<Record> Simulator::record(std::string_view type, RecordId id,
                                        bool include_sensitive) const {
    return impl_->portal_.get(type).record(id, include_sensitive);
}
std::vector<RecordId> Simulator::record_ids(std::string_view type, bool include_archived) const {
    return impl_->portal_.get(type).ids(include_archived);
}
std::vector<PropertyDef> Simulator::property_defs(std::string_view type) const {
    return property_defs(type, DataSensitivity::kNonSensitive);
}
std::vector<PropertyDef> Simulator::property_defs(std::string_view type,
                                                  DataSensitivity sensitivity) const {
    std::vector<PropertyDef> out;
    for (const auto& p : impl_->portal_.get(type).properties())
        if (p.sensitivity == sensitivity) out.push_back(p.def);
    return out;
}

namespace {
Values to_values(const RecordStore& store, const std::map<std::string, std::string>& props) {
    return store.values_of({props.begin(), props.end()});
}
}  // namespace

RecordId Simulator::create(std::string_view type, const std::map<std::string, std::string>& props) {
    RecordStore& store = impl_->portal_.get(type);
    return store.create(to_values(store, props), impl_->now_ms());
}
void Simulator::update(std::string_view type, RecordId id,
                       const std::map<std::string, std::string>& props) {
    RecordStore& store = impl_->portal_.get(type);
    store.update(id, to_values(store, props), impl_->now_ms());
}
void Simulator::update_many_same_millisecond(std::string_view type,
                                             const std::vector<RecordId>& ids,
                                             const std::map<std::string, std::string>& props) {
    RecordStore& store = impl_->portal_.get(type);
    const Values values = to_values(store, props);
    const std::int64_t now = impl_->now_ms();
    for (RecordId id : ids)
        store.update(id, values, now);
}
void Simulator::archive(std::string_view type, RecordId id) {
    impl_->portal_.get(type).archive(id, impl_->now_ms());
}
void Simulator::restore(std::string_view type, RecordId id) {
    impl_->portal_.get(type).restore(id, impl_->now_ms());
}
RecordId Simulator::merge(std::string_view type, RecordId primary, RecordId to_merge) {
    return impl_->portal_.get(type).merge(primary, to_merge, impl_->now_ms());
}
void Simulator::gdpr_delete(std::string_view type, RecordId id) {
    impl_->portal_.get(type).gdpr_delete(id);
}
void Simulator::add_property(std::string_view type, PropertyDef def, DataSensitivity sensitivity) {
    impl_->portal_.get(type).add_property(def, sensitivity);
}
void Simulator::relabel_option(std::string_view type, const std::string& property,
                               const std::string& value, const std::string& label) {
    impl_->portal_.get(type).relabel_option(property, value, label);
}
std::string Simulator::add_custom_object_type(const CustomObjectSpec& spec) {
    return impl_->portal_.add_custom_type(spec, impl_->now_ms()).info().type.type_id;
}

std::vector<SimOwner> Simulator::owners(bool archived) const {
    return impl_->portal_.owners().list(archived);
}
std::string Simulator::add_owner(SimOwner owner) {
    return impl_->portal_.owners().add(std::move(owner), impl_->now_ms());
}
void Simulator::archive_owner(const std::string& id) {
    impl_->portal_.owners().archive(id, impl_->now_ms());
}
std::vector<SimPipeline> Simulator::pipelines(std::string_view type) const {
    const RecordStore& store = impl_->portal_.get(type);
    return impl_->portal_.pipelines()
        .of(store.info().type.name)
        .value_or(std::vector<SimPipeline>{});
}
void Simulator::relabel_pipeline(std::string_view type, const std::string& pipeline_id,
                                 const std::string& label) {
    const RecordStore& store = impl_->portal_.get(type);
    impl_->portal_.pipelines().relabel_pipeline(store.info().type.name, pipeline_id, label,
                                                impl_->now_ms());
}
void Simulator::relabel_stage(std::string_view type, const std::string& pipeline_id,
                              const std::string& stage_id, const std::string& label) {
    const RecordStore& store = impl_->portal_.get(type);
    impl_->portal_.pipelines().relabel_stage(store.info().type.name, pipeline_id, stage_id, label,
                                             impl_->now_ms());
}

std::vector<AssociationType> Simulator::association_labels(std::string_view from,
                                                           std::string_view to) const {
    return impl_->portal_.associations().labels(impl_->portal_.get(from).info().type.name,
                                                impl_->portal_.get(to).info().type.name);
}
std::vector<AssociationLink> Simulator::associations(std::string_view from, RecordId id,
                                                     std::string_view to) const {
    const RecordStore& a = impl_->portal_.get(from);
    const std::int64_t resolved = a.resolve_active(id);
    if (resolved == 0) return {};
    return impl_->visible_links(a, resolved, impl_->portal_.get(to));
}
void Simulator::associate(std::string_view from, RecordId from_id, std::string_view to,
                          RecordId to_id, const std::vector<std::string>& labels) {
    impl_->associate(from, from_id, to, to_id, labels);
}
void Simulator::remove_association(std::string_view from, RecordId from_id, std::string_view to,
                                   RecordId to_id) {
    impl_->remove_association(from, from_id, to, to_id);
}
void Simulator::relabel_association(std::string_view from, RecordId from_id, std::string_view to,
                                    RecordId to_id, const std::vector<std::string>& labels) {
    impl_->relabel_association(from, from_id, to, to_id, labels);
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
void Simulator::set_rate_limit(int per_ten_seconds) {
    impl_->rate_limit_ = per_ten_seconds;
}
void Simulator::set_daily_limit(std::int64_t per_day) {
    impl_->daily_limit_ = per_day;
}
void Simulator::set_latency(std::chrono::milliseconds latency, std::chrono::milliseconds jitter,
                            double per_kb_ms) {
    impl_->latency_us_ = std::chrono::microseconds(latency).count();
    impl_->jitter_us_ = std::chrono::microseconds(jitter).count();
    impl_->per_kib_us_ = static_cast<std::int64_t>(per_kb_ms * 1000);
}
void Simulator::set_legacy_off(bool on) {
    impl_->legacy_off_ = on;
}

void Simulator::close_connections() {
    std::unique_lock lock(impl_->conn_mu_);
    impl_->closing_ = true;
    for (Poco::Net::StreamSocket* socket : impl_->connections_) {
        try {
            socket->shutdownReceive();  // wakes the connection's thread, which then closes it
        } catch (const Poco::Exception&) {
        }
    }
    impl_->stop_cv_.wait(lock, [&] { return impl_->connections_.empty(); });
    impl_->closing_ = false;
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
