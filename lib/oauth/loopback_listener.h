// The loopback listener of `hubsync authorize`: a small HTTP server on the redirect_uri's port,
// bound to loopback addresses only, that waits for the browser's redirect.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "http/url.h"

namespace hubsync {

struct ListenerOptions {
    // Tests: listen on a free port instead of the redirect_uri's; redirect_uri() reports it.
    bool any_port = false;
};

// Serves only the redirect_uri's path: other paths get 404 and the wait goes on; a redirect
// with error=, or a state other than the expected one, ends the wait with an error; a valid
// redirect ends it with the code. The browser always gets a short page saying what happened.
class LoopbackListener final {
  public:
    // Binds 127.0.0.1 for 127.x hosts, ::1 for ::1, both (::1 when available) for localhost.
    // Refuses https and non-loopback redirect URIs (use --paste for those).
    // Until set_expected_state() is called, every redirect counts as a state mismatch.
    static Result<std::unique_ptr<LoopbackListener>> start(const Url& redirect_uri,
                                                           ListenerOptions options = {});
    ~LoopbackListener();

    // The redirect URI, with the actual port.
    std::string redirect_uri() const;
    int port() const;
    // "127.0.0.1:8976", "[::1]:8976": the addresses actually bound.
    std::vector<std::string> bound_addresses() const;

    // Waits for the redirect (real time: a browser is on the other side). Returns the code, or
    // kAuthRequired for a refused or forged redirect, kTransient on timeout, kCancelled when
    // `stop` is requested.
    Result<std::string> wait(Millis timeout, StopSource* stop = nullptr);

    // The state of the attempt whose URL is shown (set before showing it).
    void set_expected_state(const std::string& state);

    struct Impl;

  private:
    explicit LoopbackListener(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace hubsync
