// libFuzzer target for the OAuth redirect checks of `hubsync authorize --paste` and the URL and
// query parsers under them (built with Clang only, not part of the tests):
//   fuzz_redirect -max_total_time=60 -dict=fuzz/dict/fuzz_redirect.dict fuzz/corpus/fuzz_redirect
//
// The first byte picks how the rest becomes the pasted text, so that the expected state is
// often present and the code path past the state check is reached:
//   0: the rest as pasted
//   1: the redirect_uri + "?" + rest + "&state=" + the state
//   2: "code=" + rest + "&state=" + the state (a pasted query)
//   3: rest + the state (the input supplies "state=" itself)
// Invariants are checked with __builtin_trap, so a violation is reported like a crash.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/redact.h"
#include "http/url.h"
#include "oauth/authorize_request.h"

namespace {

constexpr std::string_view kRedirectUri = "http://127.0.0.1:8976/callback";
// Shaped like a real state (base64url of 32 random bytes, 43 characters).
const std::string kState = "Zm9vYmFyLXN0YXRlLWZvci10aGUtZnV6ei10YXJnZXQ";
// The same length, one character different: a state from another attempt.
const std::string kOtherState = "Zm9vYmFyLXN0YXRlLWZvci10aGUtZnV6ei10YXJnZXR";

void check(bool condition) {
    if (!condition) __builtin_trap();
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

// Hosts a URL can be written with unambiguously (names, IPv4, IPv6 without a zone).
bool plain_host(std::string_view host) {
    for (const char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':')
            return false;
    }
    return true;
}

void check_url(std::string_view text) {
    const auto url = hubsync::parse_url(text);
    if (!url.ok()) return;
    check(url->scheme == "http" || url->scheme == "https");
    check(!url->host.empty());
    check(url->port > 0 && url->port <= 65535);
    check(!url->path.empty() && url->path.front() == '/');
    check(url->query.find('#') == std::string::npos);
    if (!plain_host(url->host)) return;
    // What to_string writes parses back to the same URL.
    const auto again = hubsync::parse_url(url->to_string());
    check(again.ok());
    check(iequals(again->host, url->host));
    check(again->scheme == url->scheme && again->port == url->port && again->path == url->path &&
          again->query == url->query && again->fragment == url->fragment);
}

void check_query(std::string_view text) {
    for (const bool form : {false, true}) {
        const std::string decoded = hubsync::url_decode(text, form);
        check(decoded.size() <= text.size());  // every escape shrinks, nothing grows
        check(hubsync::url_decode(hubsync::url_encode(text), form) == text);
    }
    const hubsync::Params params = hubsync::parse_query(text);
    check(hubsync::parse_query(hubsync::encode_query(params)) == params);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    static const hubsync::Url redirect_uri = hubsync::parse_url(kRedirectUri).value();

    std::string pasted;
    switch (data[0] & 3) {
        case 0:
            pasted = rest;
            break;
        case 1:
            pasted = std::string(kRedirectUri) + "?" + std::string(rest) + "&state=" + kState;
            break;
        case 2:
            pasted = "code=" + std::string(rest) + "&state=" + kState;
            break;
        default:
            pasted = std::string(rest) + kState;
            break;
    }

    check_url(rest);
    check_query(rest);

    const auto code = hubsync::parse_pasted_redirect(pasted, redirect_uri, kState);
    if (code.ok()) {
        check(!code->empty());
        // Accepted only when the pasted text carries the state of this attempt...
        check(hubsync::url_decode(pasted, true).find(kState) != std::string::npos);
        // ...and never with the state of another one (the CSRF check).
        check(!hubsync::parse_pasted_redirect(pasted, redirect_uri, kOtherState).ok());
    }
    // The query checks alone, as the loopback listener applies them.
    (void)hubsync::check_redirect_params(hubsync::parse_query(rest), kState);
    // Accepted codes are registered for redaction; forget them so memory stays flat.
    hubsync::clear_secrets();
    return 0;
}
