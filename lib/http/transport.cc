// PocoTransport: HTTP(S) over POCO's client sessions, with keep-alive per origin.
#include "http/transport.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <sstream>

#include "http/url.h"

namespace hubsync {

namespace {

// The numeric status of an answer. POCO keeps it in an enum whose values end at 511, so reading
// HubSpot's 521, 523 or 524 through the inline getStatus() is undefined behaviour (UBSan: "not a
// valid value for type HTTPStatus"); the library's own write() prints the number as an int.
int status_code(const Poco::Net::HTTPResponse& response) {
    std::ostringstream head;
    response.write(head);
    const std::string line = head.str();  // "HTTP/1.1 521 Web Server Is Down\r\n..."
    const auto space = line.find(' ');
    int code = 0;
    if (space != std::string::npos)
        std::from_chars(line.data() + space + 1, line.data() + line.size(), code);
    return code;
}

const std::string* find_header(const Headers& headers, std::string_view name) {
    for (const auto& [k, v] : headers) {
        if (k.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < k.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(k[i])) ==
                   std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return &v;
    }
    return nullptr;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
    const std::string* value = find_header(headers, name);
    return value ? *value : std::string();
}

bool HttpResponse::has_header(std::string_view name) const {
    return find_header(headers, name) != nullptr;
}

namespace {

void init_ssl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        // An invalid certificate is always rejected; nothing ever asks a person to accept it.
        Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
            new Poco::Net::RejectCertificateHandler(false);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, nullptr);
    });
}

Poco::Net::Context::Ptr make_client_context(const std::string& ca_file) {
    init_ssl_once();
    // VERIFY_STRICT: the peer must present a certificate that chains to a trusted CA; the
    // session checks the host name. loadDefaultCAs adds the system store next to ca_file.
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                               Poco::Net::Context::VERIFY_STRICT, 9, true, "HIGH:!aNULL:!MD5:!RC4");
    ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return ctx;
}

// A certificate that fails verification is a configuration problem: retrying cannot fix it.
Error certificate_error(const Url& url, const std::string& detail) {
    return make_error(ErrorKind::kConfig,
                      "TLS certificate of " + url.host + " failed verification: " + detail,
                      "fix the server certificate or add its CA with ca_file");
}

class PocoTransport final : public HttpTransport {
  public:
    explicit PocoTransport(TransportOptions options) : options_(std::move(options)) {}

    Result<HttpResponse> send(const HttpRequest& request) override {
        auto url = parse_url(request.url);
        if (!url.ok())
            return make_error(ErrorKind::kConfig, "bad request URL: " + url.error().message);
        // One resend, only when a reused keep-alive connection turned out to be closed by the
        // server before it answered: no response byte came back, or, for a request safe to
        // send twice, writing it failed (servers and proxies drop idle keep-alive
        // connections; a request not wholly written was not served, nor counted against a
        // rate limit). Timeouts, resets after the request was written, failures on a new
        // connection and every other failure go back to the caller, whose retry policy (and
        // rate budget) counts them.
        for (int attempt = 0; attempt < 2; ++attempt) {
            const bool reused = sessions_.count(url->origin()) > 0;
            stale_connection_ = false;
            auto result = send_once(*url, request);
            if (result.ok() || !reused || attempt == 1 || !stale_connection_) return result;
            sessions_.erase(url->origin());
        }
        return make_error(ErrorKind::kInternal, "unreachable");
    }

  private:
    Poco::Net::HTTPClientSession& session_for(const Url& url) {
        auto& slot = sessions_[url.origin()];
        if (!slot) {
            if (url.scheme == "https") {
                if (!context_) context_ = make_client_context(options_.ca_file);
                slot = std::make_unique<Poco::Net::HTTPSClientSession>(
                    url.host, static_cast<Poco::UInt16>(url.port), context_);
            } else {
                // "localhost" is loopback by definition (RFC 6761): no resolver, no /etc/hosts.
                const std::string host = url.host == "localhost" ? "127.0.0.1" : url.host;
                slot = std::make_unique<Poco::Net::HTTPClientSession>(
                    host, static_cast<Poco::UInt16>(url.port));
            }
            slot->setKeepAlive(options_.keep_alive);
            slot->setTimeout(Poco::Timespan(options_.connect_timeout.count() * 1000),
                             Poco::Timespan(options_.io_timeout.count() * 1000),
                             Poco::Timespan(options_.io_timeout.count() * 1000));
        }
        return *slot;
    }

    // Reads the body straight into one allocation of the announced size: growing the string
    // chunk by chunk copied every list page (~160 KB) several times and faulted in fresh pages
    // for each copy, which was the largest client-side cost of a backfill.
    static void read_body(std::istream& in, const Poco::Net::HTTPResponse& res, std::string& body) {
        constexpr std::size_t kMaxReserve = 64 * 1024 * 1024;
        if (res.hasContentLength()) {
            const auto announced = static_cast<std::size_t>(res.getContentLength64());
            body.resize(std::min(announced, kMaxReserve));
            in.read(body.data(), static_cast<std::streamsize>(body.size()));
            body.resize(static_cast<std::size_t>(in.gcount()));
            if (announced <= kMaxReserve) return;
        }
        char chunk[16384];
        while (in.read(chunk, sizeof chunk) || in.gcount() > 0)
            body.append(chunk, static_cast<std::size_t>(in.gcount()));
    }

    Result<HttpResponse> send_once(const Url& url, const HttpRequest& request) {
        const std::string origin = url.origin();
        const bool resendable = request.idempotent || request.method == "GET";
        bool written = false;  // the whole request left for the server
        try {
            auto& session = session_for(url);
            Poco::Net::HTTPRequest req(request.method, url.path_and_query(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
            req.setKeepAlive(options_.keep_alive);
            req.set("User-Agent", options_.user_agent);
            for (const auto& [k, v] : request.headers)
                req.set(k, v);
            if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                request.method == "PATCH") {
                if (!request.content_type.empty()) req.setContentType(request.content_type);
                req.setContentLength(static_cast<std::streamsize>(request.body.size()));
            }
            std::ostream& out = session.sendRequest(req);
            out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
            out.flush();
            if (!out) throw Poco::IOException("the request could not be written");
            written = true;
            Poco::Net::HTTPResponse res;
            std::istream& in = session.receiveResponse(res);
            HttpResponse response;
            response.status = status_code(res);
            for (const auto& [k, v] : res)
                response.headers.emplace_back(k, v);
            read_body(in, res, response.body);
            if (res.hasContentLength() &&
                response.body.size() != static_cast<std::size_t>(res.getContentLength64())) {
                sessions_.erase(origin);
                return make_error(ErrorKind::kTransient,
                                  "connection closed mid-response from " + url.host);
            }
            if (!res.getKeepAlive()) sessions_.erase(origin);
            return response;
        } catch (const Poco::Net::InvalidCertificateException& e) {
            sessions_.erase(origin);
            return certificate_error(url, e.message());
        } catch (const Poco::Net::CertificateValidationException& e) {
            sessions_.erase(origin);
            return certificate_error(url, e.message());
        } catch (const Poco::Net::SSLException& e) {
            sessions_.erase(origin);
            // An untrusted chain surfaces as a plain SSLException from the handshake, not as a
            // CertificateValidationException: retrying cannot fix it either.
            if (e.displayText().find("certificate verify failed") != std::string::npos)
                return certificate_error(url, e.displayText());
            return make_error(ErrorKind::kTransient,
                              "TLS error talking to " + url.host + ": " + e.displayText());
        } catch (const Poco::Net::NoMessageException& e) {
            sessions_.erase(origin);
            stale_connection_ = true;
            return make_error(ErrorKind::kTransient,
                              "connection closed by " + url.host + " before any response");
        } catch (const Poco::TimeoutException& e) {
            sessions_.erase(origin);
            return make_error(ErrorKind::kTransient, "timeout talking to " + url.host);
        } catch (const Poco::Exception& e) {
            sessions_.erase(origin);
            stale_connection_ = resendable && !written;
            return make_error(ErrorKind::kTransient,
                              "network error talking to " + url.host + ": " + e.displayText());
        } catch (const std::exception& e) {
            sessions_.erase(origin);
            stale_connection_ = resendable && !written;
            return make_error(ErrorKind::kTransient,
                              "network error talking to " + url.host + ": " + e.what());
        }
    }

    TransportOptions options_;
    bool stale_connection_ = false;
    Poco::Net::Context::Ptr context_;
    std::map<std::string, std::unique_ptr<Poco::Net::HTTPClientSession>> sessions_;
};

}  // namespace

std::unique_ptr<HttpTransport> make_poco_transport(const TransportOptions& options) {
    return std::make_unique<PocoTransport>(options);
}

}  // namespace hubsync
