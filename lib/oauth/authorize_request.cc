// Authorize URL construction, PKCE and redirect checks.
#include "oauth/authorize_request.h"

#include <Poco/SHA2Engine.h>
#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "core/redact.h"

namespace hubsync {

std::string base64url(std::string_view data) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                           (static_cast<unsigned char>(data[i + 1]) << 8) |
                           static_cast<unsigned char>(data[i + 2]);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
        out.push_back(kAlphabet[v & 63]);
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const unsigned v = static_cast<unsigned char>(data[i]) << 16;
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
    } else if (rest == 2) {
        const unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                           (static_cast<unsigned char>(data[i + 1]) << 8);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
    }
    return out;
}

std::string random_urlsafe(std::size_t bytes) {
    std::string buf(bytes, '\0');
    std::size_t filled = 0;
    while (filled < bytes) {
        const ssize_t n = getrandom(buf.data() + filled, bytes - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            // Without a CSPRNG there is no safe state or verifier; nothing sensible to fall back
            // to.
            throw std::runtime_error("getrandom failed");
        }
        filled += static_cast<std::size_t>(n);
    }
    return base64url(buf);
}

std::string pkce_challenge(std::string_view verifier) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(verifier.data(), static_cast<unsigned>(verifier.size()));
    const auto& digest = sha.digest();
    return base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

namespace {

// Collapses runs of whitespace so "a  b" does not become "a%20%20b".
std::string normalize_scopes(const std::string& scopes) {
    std::string out;
    std::size_t pos = 0;
    while (pos < scopes.size()) {
        const auto start = scopes.find_first_not_of(" \t", pos);
        if (start == std::string::npos) break;
        const auto end = scopes.find_first_of(" \t", start);
        if (!out.empty()) out.push_back(' ');
        out += scopes.substr(start, end == std::string::npos ? end : end - start);
        pos = end == std::string::npos ? scopes.size() : end;
    }
    return out;
}

}  // namespace

AuthorizeRequest make_authorize_request(const std::string& authorize_url,
                                        const std::string& client_id, const std::string& scopes,
                                        const std::string& redirect_uri,
                                        const std::string& optional_scopes) {
    AuthorizeRequest req;
    req.redirect_uri = redirect_uri;
    req.state = random_urlsafe(32);          // 256 bits
    req.code_verifier = random_urlsafe(48);  // 64 characters, within RFC 7636's 43..128
    req.code_challenge = pkce_challenge(req.code_verifier);
    add_secret(req.code_verifier);
    Params params = {{"client_id", client_id},
                     {"scope", normalize_scopes(scopes)},
                     {"redirect_uri", redirect_uri}};
    // The singular spelling is the one HubSpot reads, whatever its prose says.
    if (const std::string optional = normalize_scopes(optional_scopes); !optional.empty())
        params.emplace_back("optional_scope", optional);
    params.insert(params.end(), {{"state", req.state},
                                 {"code_challenge", req.code_challenge},
                                 {"code_challenge_method", "S256"}});
    req.url = authorize_url + (authorize_url.find('?') == std::string::npos ? "?" : "&") +
              encode_query(params);
    return req;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

namespace {

// Error text from the redirect is attacker-controllable: keep it short and printable.
std::string sanitize(std::string_view text) {
    std::string out;
    for (const char c : text.substr(0, 200)) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
    }
    return out;
}

}  // namespace

Result<std::string> check_redirect_params(const Params& params, const std::string& expected_state) {
    const std::string state = param(params, "state");
    const bool state_ok = constant_time_equals(state, expected_state);
    if (has_param(params, "error")) {
        const std::string error = sanitize(param(params, "error"));
        std::string description = sanitize(param(params, "error_description"));
        std::string message = "HubSpot did not authorize hubsync: error=" + error;
        if (!description.empty()) message += " (" + description + ")";
        if (!state_ok) message += "; the redirect also carried a state from another attempt";
        return make_error(ErrorKind::kAuthRequired, message,
                          error == "access_denied"
                              ? "consent was declined; run `hubsync authorize` again and approve"
                              : "run `hubsync authorize` again");
    }
    if (!state_ok) {
        return make_error(ErrorKind::kAuthRequired,
                          state.empty() ? "the redirect carries no state parameter"
                                        : "the redirect's state does not match this attempt "
                                          "(an old browser tab, or a forged request)",
                          "run `hubsync authorize` again and use only the URL it prints");
    }
    const std::string code = param(params, "code");
    if (code.empty()) {
        return make_error(ErrorKind::kAuthRequired, "the redirect carries no authorization code",
                          "run `hubsync authorize` again");
    }
    add_secret(code);
    return code;
}

Result<std::string> parse_pasted_redirect(std::string_view pasted, const Url& redirect_uri,
                                          const std::string& expected_state) {
    // Trim whitespace and the quotes a terminal copy may add.
    while (!pasted.empty() && (std::isspace(static_cast<unsigned char>(pasted.front())) ||
                               pasted.front() == '"' || pasted.front() == '\''))
        pasted.remove_prefix(1);
    while (!pasted.empty() && (std::isspace(static_cast<unsigned char>(pasted.back())) ||
                               pasted.back() == '"' || pasted.back() == '\''))
        pasted.remove_suffix(1);
    if (pasted.empty())
        return make_error(ErrorKind::kUsage, "nothing was pasted",
                          "paste the full address the browser shows after you approve");
    std::string query;
    if (pasted.find("://") != std::string_view::npos) {
        auto url = parse_url(pasted);
        if (!url.ok())
            return make_error(ErrorKind::kUsage,
                              "the pasted text is not a URL: " + url.error().message,
                              "paste the full address the browser shows after you approve");
        if (url->path != redirect_uri.path || url->host != redirect_uri.host ||
            url->port != redirect_uri.port) {
            return make_error(ErrorKind::kUsage,
                              "the pasted URL is not the redirect_uri " + redirect_uri.origin() +
                                  redirect_uri.path,
                              "paste the address the browser was sent to after you approved");
        }
        query = url->query;
    } else {
        pasted.remove_prefix(pasted.front() == '?' ? 1 : 0);
        query = std::string(pasted);
    }
    return check_redirect_params(parse_query(query), expected_state);
}

}  // namespace hubsync
