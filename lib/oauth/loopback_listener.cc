// LoopbackListener over Poco::Net::HTTPServer.
#include "oauth/loopback_listener.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "core/duration.h"
#include "core/html.h"
#include "core/log.h"
#include "oauth/authorize_request.h"

namespace hubsync {
namespace {

std::string page(const std::string& title, const std::string& text) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>hubsync: " +
           html_escape(title) + "</title></head><body><h1>" + html_escape(title) + "</h1><p>" +
           html_escape(text) + "</p></body></html>\n";
}

// What the handlers share with the waiting thread.
struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::string path;
    std::string state;
    std::optional<Result<std::string>> outcome;
};

class CallbackHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit CallbackHandler(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        const std::string& uri = request.getURI();
        const auto qmark = uri.find('?');
        const std::string path = uri.substr(0, qmark);
        const std::string query =
            qmark == std::string::npos ? std::string() : uri.substr(qmark + 1);
        std::string expected_path, expected_state;
        bool finished = false;
        {
            std::lock_guard lock(shared_->mu);
            expected_path = shared_->path;
            expected_state = shared_->state;
            finished = shared_->outcome.has_value();
        }
        if (path != expected_path) {
            send(response, Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "Not found",
                 "This address is not part of the authorization.");
            return;
        }
        if (request.getMethod() != "GET") {
            send(response, Poco::Net::HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
                 "The redirect must be a GET request.");
            return;
        }
        if (finished) {
            send(response, Poco::Net::HTTPResponse::HTTP_CONFLICT, "Already finished",
                 "This authorization attempt has already finished. You can close this tab.");
            return;
        }
        const Params params = parse_query(query);
        if (!has_param(params, "code") && !has_param(params, "error") &&
            !has_param(params, "state")) {
            // A bare visit (a reload, a curious admin): not a redirect, keep waiting.
            send(response, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "Waiting for HubSpot",
                 "This address receives HubSpot's redirect after you approve access.");
            return;
        }
        Result<std::string> outcome = check_redirect_params(params, expected_state);
        if (outcome.ok()) {
            send(response, Poco::Net::HTTPResponse::HTTP_OK, "hubsync is authorized",
                 "HubSpot approved access. hubsync is finishing the setup in the terminal; you "
                 "can close this tab.");
        } else {
            send(response, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "Authorization failed",
                 outcome.error().describe());
        }
        {
            std::lock_guard lock(shared_->mu);
            if (!shared_->outcome) shared_->outcome.emplace(std::move(outcome));
        }
        shared_->cv.notify_all();
    }

  private:
    static void send(Poco::Net::HTTPServerResponse& response,
                     Poco::Net::HTTPResponse::HTTPStatus status, const std::string& title,
                     const std::string& text) {
        const std::string body = page(title, text);
        response.setStatus(status);
        response.setContentType("text/html; charset=utf-8");
        response.set("Cache-Control", "no-store");
        // The page has no links, but never leak the code through a Referer anyway.
        response.set("Referrer-Policy", "no-referrer");
        response.setKeepAlive(false);
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        // Flushed here, before the waiting thread is told: it stops the server at once, which
        // would otherwise cut off a page still in the stream's buffer.
        std::ostream& out = response.send();
        out << body;
        out.flush();
    }

    std::shared_ptr<Shared> shared_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit HandlerFactory(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new CallbackHandler(shared_);
    }

  private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace

struct LoopbackListener::Impl {
    Url redirect;
    std::shared_ptr<Shared> shared = std::make_shared<Shared>();
    Poco::ThreadPool pool{1, 4};
    std::vector<std::unique_ptr<Poco::Net::HTTPServer>> servers;
    std::vector<std::string> addresses;

    ~Impl() {
        for (auto& s : servers)
            s->stopAll(true);
        servers.clear();
        pool.joinAll();
    }
};

LoopbackListener::LoopbackListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LoopbackListener::~LoopbackListener() = default;

Result<std::unique_ptr<LoopbackListener>> LoopbackListener::start(const Url& redirect,
                                                                  ListenerOptions options) {
    if (redirect.scheme != "http")
        return make_error(
            ErrorKind::kConfig,
            "cannot listen for an " + redirect.scheme + " redirect_uri (" + redirect.origin() + ")",
            "use `hubsync authorize --paste`, or a http://localhost:PORT/... "
            "redirect_uri registered for the app");
    if (!redirect.is_loopback())
        return make_error(ErrorKind::kConfig,
                          "redirect_uri host " + redirect.host + " is not a loopback address",
                          "use `hubsync authorize --paste`, or redirect_uri = "
                          "http://localhost:PORT/callback");
    std::vector<std::string> hosts;
    bool v6_optional = false;
    if (redirect.host == "localhost") {
        hosts = {"127.0.0.1", "::1"};
        v6_optional = true;  // a host without IPv6 still has 127.0.0.1
    } else {
        hosts = {redirect.host};
    }

    auto impl = std::make_unique<Impl>();
    impl->redirect = redirect;
    impl->shared->path = redirect.path.empty() ? "/" : redirect.path;
    int port = options.any_port ? 0 : redirect.port;
    Poco::Net::HTTPRequestHandlerFactory::Ptr factory = new HandlerFactory(impl->shared);
    for (const auto& host : hosts) {
        const bool v6 = host.find(':') != std::string::npos;
        try {
            Poco::Net::ServerSocket socket;
            const Poco::Net::SocketAddress address(host, static_cast<Poco::UInt16>(port));
            if (v6)
                socket.bind6(address, /*reuseAddress=*/true, /*reusePort=*/false,
                             /*ipV6Only=*/true);
            else
                socket.bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
            socket.listen(16);
            port = socket.address().port();
            auto* params = new Poco::Net::HTTPServerParams;
            params->setKeepAlive(false);
            params->setTimeout(Poco::Timespan(10, 0));
            params->setMaxThreads(2);
            params->setServerName("hubsync");
            impl->servers.push_back(
                std::make_unique<Poco::Net::HTTPServer>(factory, impl->pool, socket, params));
            impl->addresses.push_back(socket.address().toString());
        } catch (const Poco::Exception& e) {
            if (v6 && v6_optional && !impl->servers.empty()) {
                HS_LOG_DEBUG("not listening on [::1]:{}: {}", port, e.displayText());
                continue;
            }
            return make_error(ErrorKind::kConfig,
                              "cannot listen on " + host + " port " + std::to_string(port) +
                                  " for the redirect: " + e.displayText(),
                              "free the port (another `hubsync authorize` running?), use "
                              "--paste, or change redirect_uri here and in the app's settings");
        }
    }
    impl->redirect.port = port;
    for (auto& server : impl->servers)
        server->start();
    return std::unique_ptr<LoopbackListener>(new LoopbackListener(std::move(impl)));
}

std::string LoopbackListener::redirect_uri() const {
    return impl_->redirect.to_string();
}
int LoopbackListener::port() const {
    return impl_->redirect.port;
}
std::vector<std::string> LoopbackListener::bound_addresses() const {
    return impl_->addresses;
}

void LoopbackListener::set_expected_state(const std::string& state) {
    std::lock_guard lock(impl_->shared->mu);
    impl_->shared->state = state;
}

Result<std::string> LoopbackListener::wait(Millis timeout, StopSource* stop) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(impl_->shared->mu);
    while (!impl_->shared->outcome) {
        if (stop && stop->stop_requested())
            return make_error(ErrorKind::kCancelled, "authorization cancelled");
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return make_error(ErrorKind::kTransient,
                              "no redirect arrived within " + format_duration(timeout),
                              "run `hubsync authorize` again and approve in the browser, or use "
                              "--paste when the browser runs on another machine");
        // Short slices so a stop request is noticed without a second wake-up channel.
        impl_->shared->cv.wait_until(lock,
                                     std::min(deadline, now + std::chrono::milliseconds(100)));
    }
    return *impl_->shared->outcome;
}

}  // namespace hubsync
