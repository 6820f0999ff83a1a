// The HTTP seam: every request the engine makes goes through an HttpTransport, so unit tests
// can substitute one and the production wiring (PocoTransport) lives in one place.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace hubsync {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute
    Headers headers;
    std::string body;
    std::string content_type;  // set with a body
    // Safe to send twice (a read): when a reused keep-alive connection fails before the answer
    // begins, it is sent again at once on a new one. GET requests always are.
    bool idempotent = false;
};

struct HttpResponse {
    int status = 0;
    Headers headers;
    std::string body;

    // Case-insensitive header lookup; empty when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

// Thread-compatible: one transport per thread, or external locking.
class HttpTransport {
  public:
    virtual ~HttpTransport() = default;
    // Sends one request. Any HTTP status is a successful Result; connection failures, timeouts
    // and TLS failures are errors (kTransient, or kConfig for a certificate that fails
    // verification, which retrying cannot fix).
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds io_timeout{30'000};
    std::string ca_file;  // extra CA bundle, added to the system CAs
    std::string user_agent = "hubsync/0.1";
    bool keep_alive = true;
};

// POCO-backed HTTP/HTTPS client. TLS: TLS 1.2 or newer, chain and host name always verified
// against the system CAs plus ca_file; invalid certificates are never accepted. Connections
// are kept alive and reused per origin.
std::unique_ptr<HttpTransport> make_poco_transport(const TransportOptions& options);

}  // namespace hubsync
