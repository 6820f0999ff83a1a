// The simulator's OAuth side: the consent page, token endpoints (v1, v3 and every dated
// version), introspection, revocation and bearer-token checks, with HubSpot's error shapes.
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <cctype>

#include "core/html.h"
#include "model/endpoints.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

constexpr std::int64_t kCodeLifetimeMs = 5 * 60 * 1000;
constexpr std::int64_t kAppId = 4'242'424;
constexpr std::int64_t kUserId = 7'654'321;

std::string base64url(const unsigned char* data, std::size_t n) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        const std::uint32_t b = (static_cast<std::uint32_t>(data[i]) << 16) |
                                (i + 1 < n ? static_cast<std::uint32_t>(data[i + 1]) << 8 : 0) |
                                (i + 2 < n ? static_cast<std::uint32_t>(data[i + 2]) : 0);
        out.push_back(kAlphabet[(b >> 18) & 63]);
        out.push_back(kAlphabet[(b >> 12) & 63]);
        if (i + 1 < n) out.push_back(kAlphabet[(b >> 6) & 63]);
        if (i + 2 < n) out.push_back(kAlphabet[b & 63]);
    }
    return out;
}

std::string s256(const std::string& verifier) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(verifier);
    const auto& digest = sha.digest();
    return base64url(digest.data(), digest.size());
}

std::vector<std::string> split_scopes(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t end = s.find(' ', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

void html_page(SimResponse& resp, int status, const std::string& title, const std::string& body) {
    resp.status = status;
    resp.content_type = "text/html; charset=utf-8";
    resp.body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                html_escape(title) + "</title></head><body><h1>" + html_escape(title) + "</h1>\n" +
                body + "\n</body></html>\n";
}

void append_scopes(std::string& out, const std::vector<std::string>& scopes) {
    out += "[";
    for (std::size_t i = 0; i < scopes.size(); ++i) {
        if (i) out += ",";
        append_json_string(out, scopes[i]);
    }
    out += "]";
}

bool is_form(const std::string& content_type) {
    return content_type.rfind("application/x-www-form-urlencoded", 0) == 0;
}

std::string param(const QueryParams& p, std::string_view name) {
    for (const auto& [k, v] : p)
        if (k == name) return v;
    return {};
}

// The POST endpoints by path: the legacy v1/v3 ones and those of every dated version.
const Simulator::Impl::OAuthCall* find_oauth_call(std::string_view path) {
    using Call = Simulator::Impl::OAuthCall;
    static const std::vector<std::pair<std::string, Call>> routes = [] {
        std::vector<std::pair<std::string, Call>> r = {
            {"/oauth/v1/token", Call::kToken},
            {"/oauth/v3/token", Call::kToken},
            {"/oauth/v3/token/introspect", Call::kIntrospect},
            {"/oauth/v3/token/revoke", Call::kRevoke},
        };
        for (const ApiVersion& v : api_versions()) {
            r.emplace_back(endpoint_path(Endpoint::kOAuthToken, v.name), Call::kToken);
            r.emplace_back(endpoint_path(Endpoint::kOAuthIntrospect, v.name), Call::kIntrospect);
            r.emplace_back(endpoint_path(Endpoint::kOAuthRevoke, v.name), Call::kRevoke);
        }
        return r;
    }();
    for (const auto& [p, call] : routes)
        if (p == path) return &call;
    return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- token state

Simulator::Tokens Simulator::Impl::mint_tokens(const std::vector<std::string>& scopes) {
    static constexpr char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::lock_guard lock(auth_mu_);
    Tokens t;
    // Real access tokens run to ~300 characters; long ones catch clients that truncate.
    t.access_token = "CN";
    for (int i = 0; i < 254; ++i)
        t.access_token.push_back(kChars[token_rng_() % 64]);
    char buf[64];
    const std::uint64_t a = token_rng_(), b = token_rng_();
    std::snprintf(buf, sizeof buf, "na1-%04x-%04x-%04x-%04x-%012llx",
                  static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>((a >> 16) & 0xFFFF),
                  static_cast<unsigned>((a >> 32) & 0xFFFF), static_cast<unsigned>(a >> 48),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    t.refresh_token = buf;
    t.expires_in = opts_.token_ttl.count();
    access_[t.access_token] =
        AccessToken{now_ms() + opts_.token_ttl.count() * 1000, scopes, t.refresh_token};
    refresh_[t.refresh_token] = RefreshToken{scopes};
    return t;
}

Simulator::Tokens Simulator::Impl::mint_app_token(const std::vector<std::string>& scopes) {
    Tokens t = mint_tokens(scopes);
    std::lock_guard lock(auth_mu_);
    refresh_.erase(t.refresh_token);
    AccessToken& access = access_[t.access_token];
    access.refresh_token.clear();
    access.app_level = true;
    t.refresh_token.clear();
    return t;
}

std::string Simulator::Impl::mint_code(const std::string& redirect_uri,
                                       const std::vector<std::string>& scopes,
                                       const std::string& challenge, const std::string& method) {
    std::lock_guard lock(auth_mu_);
    char buf[64];
    const std::uint64_t a = token_rng_(), b = token_rng_();
    std::snprintf(buf, sizeof buf, "%016llx-%08llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFULL));
    codes_[buf] = AuthCode{redirect_uri, scopes, now_ms() + kCodeLifetimeMs, challenge, method};
    return buf;
}

void Simulator::Impl::revoke_all_refresh_tokens() {
    std::lock_guard lock(auth_mu_);
    refresh_.clear();
    for (auto it = access_.begin(); it != access_.end();) {
        if (!it->second.refresh_token.empty()) {
            it = access_.erase(it);
        } else {
            ++it;
        }
    }
}

bool Simulator::Impl::redirect_uri_registered(const std::string& uri) const {
    if (!opts_.redirect_uris.empty())
        return std::find(opts_.redirect_uris.begin(), opts_.redirect_uris.end(), uri) !=
               opts_.redirect_uris.end();
    for (const char* prefix : {"http://localhost", "http://127.0.0.1"}) {
        const std::string p = prefix;
        if (uri.rfind(p, 0) != 0) continue;
        std::size_t i = p.size();
        if (i < uri.size() && uri[i] == ':') {
            const std::size_t digits_start = ++i;
            while (i < uri.size() && uri[i] >= '0' && uri[i] <= '9')
                ++i;
            if (i == digits_start) return false;
        }
        return i == uri.size() || uri[i] == '/';
    }
    return false;
}

// ---------------------------------------------------------------- bearer auth

bool Simulator::Impl::authenticate(const SimRequest& req, SimResponse& resp, std::string_view scope,
                                   std::string& token_out) {
    static const std::string kNotFound =
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at "
        "https://developers.hubspot.com/docs/methods/auth/oauth-overview";
    // The scheme name is case-insensitive (RFC 9110); the token is not.
    std::string scheme = req.authorization.substr(0, 7);
    for (char& c : scheme)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "bearer " || req.authorization.size() == 7) {
        error_body(resp, 401, "INVALID_AUTHENTICATION", kNotFound);
        return false;
    }
    token_out = req.authorization.substr(7);
    std::lock_guard lock(auth_mu_);
    auto it = access_.find(token_out);
    if (it == access_.end()) {
        error_body(resp, 401, "INVALID_AUTHENTICATION",
                   "Authentication credentials not found. The access token is unknown or was "
                   "revoked; get a new one with your refresh token.");
        return false;
    }
    const std::int64_t now = now_ms();
    if (now >= it->second.expires_ms) {
        const std::int64_t ago = (now - it->second.expires_ms) / 1000;
        resp.expired_token = true;
        resp.status = 401;
        resp.body =
            "{\"status\":\"error\",\"message\":\"The OAuth token used to make this call expired " +
            std::to_string(ago) + " second(s) ago.\",\"correlationId\":\"" + correlation_id() +
            "\",\"category\":\"EXPIRED_AUTHENTICATION\",\"context\":{\"expired at\":[\"";
        append_iso8601_ms(resp.body, it->second.expires_ms);
        resp.body += "\"]}}";
        return false;
    }
    if (it->second.app_level) {
        // An app-level token has no account behind it: account data is out of its reach
        // whatever scopes it carries.
        missing_scopes(resp, {scope},
                       "This is an app-level access token (client_credentials grant); account "
                       "data needs an access token from the account's OAuth authorization.");
        return false;
    }
    const auto& scopes = it->second.scopes;
    bool ok = std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
    // Property definitions are readable with either the schema or the object scope.
    if (!ok && scope == "crm.schemas.contacts.read")
        ok = std::find(scopes.begin(), scopes.end(), "crm.objects.contacts.read") != scopes.end();
    if (!ok) {
        missing_scopes(resp, {scope});
        return false;
    }
    return true;
}

bool Simulator::Impl::token_has_scope(const std::string& token, std::string_view scope) const {
    std::lock_guard lock(auth_mu_);
    const auto it = access_.find(token);
    return it != access_.end() && std::find(it->second.scopes.begin(), it->second.scopes.end(),
                                            scope) != it->second.scopes.end();
}

void Simulator::Impl::missing_scopes(SimResponse& resp, const std::vector<std::string_view>& scopes,
                                     std::string_view message) {
    resp.status = 403;
    resp.content_type = "application/json;charset=utf-8";
    resp.body = "{\"status\":\"error\",\"message\":";
    append_json_string(resp.body, message.empty()
                                      ? "This app hasn't been granted all required scopes to "
                                        "make this call. Read more about required scopes here: "
                                        "https://developers.hubspot.com/scopes."
                                      : message);
    resp.body += ",\"correlationId\":\"" + correlation_id() +
                 "\",\"errors\":[{\"message\":\"One or more of the following scopes are "
                 "required.\",\"context\":{\"requiredGranularScopes\":[";
    for (std::size_t i = 0; i < scopes.size(); ++i) {
        if (i) resp.body += ",";
        append_json_string(resp.body, scopes[i]);
    }
    resp.body +=
        "]}}],\"links\":{\"scopes\":\"https://developers.hubspot.com/scopes\"},"
        "\"category\":\"MISSING_SCOPES\"}";
}

void Simulator::Impl::oauth_error(SimResponse& resp, int status, std::string_view error,
                                  std::string_view hs_status, std::string_view message) {
    resp.status = status;
    resp.content_type = "application/json;charset=utf-8";
    resp.body = "{\"status\":";
    append_json_string(resp.body, hs_status);
    resp.body += ",\"message\":";
    append_json_string(resp.body, message);
    resp.body += ",\"correlationId\":\"" + correlation_id() + "\",\"error\":";
    append_json_string(resp.body, error);
    resp.body += ",\"error_description\":";
    append_json_string(resp.body, message);
    resp.body += "}";
}

// ---------------------------------------------------------------- routes

bool Simulator::Impl::route_oauth(SimRequest& req, SimResponse& resp) {
    const std::string& path = req.path;
    if (path.rfind("/oauth/", 0) != 0) return false;

    // ---- authorize page and decision
    const bool authorize =
        path == "/oauth/authorize" ||
        (path.size() > 17 && path.compare(path.size() - 10, 10, "/authorize") == 0 &&
         path.find('/', 7) == path.size() - 10);
    if (authorize) {
        const std::string client_id = req.param("client_id");
        const std::string redirect_uri = req.param("redirect_uri");
        if (client_id != opts_.client_id) {
            html_page(resp, 400, "Authorization failed",
                      "<p id=\"error\">BAD_CLIENT_ID: the client_id is missing or unknown.</p>");
            return true;
        }
        if (redirect_uri.empty() || !redirect_uri_registered(redirect_uri)) {
            html_page(resp, 400, "Authorization failed",
                      "<p id=\"error\">BAD_REDIRECT_URI: the redirect_uri does not match any "
                      "redirect URL registered for this app.</p>");
            return true;
        }
        if (!req.has_param("scope") || req.param("scope").empty()) {
            html_page(resp, 400, "Authorization failed",
                      "<p id=\"error\">The scope parameter is required.</p>");
            return true;
        }
        std::vector<std::string> scopes = split_scopes(req.param("scope"));
        for (const auto& s : scopes) {
            if (std::find(opts_.granted_scopes.begin(), opts_.granted_scopes.end(), s) ==
                opts_.granted_scopes.end()) {
                html_page(resp, 400, "Authorization failed",
                          "<p id=\"error\">Scope mismatch: this app is not configured for scope " +
                              html_escape(s) + ".</p>");
                return true;
            }
        }
        for (const auto& s : split_scopes(req.param("optional_scope"))) {
            if (std::find(opts_.granted_scopes.begin(), opts_.granted_scopes.end(), s) !=
                    opts_.granted_scopes.end() &&
                std::find(scopes.begin(), scopes.end(), s) == scopes.end())
                scopes.push_back(s);
        }
        Consent consent{redirect_uri, req.param("state"), req.param("code_challenge"),
                        req.param("code_challenge_method"), scopes};
        if (!consent.challenge.empty() && consent.challenge_method.empty())
            consent.challenge_method = "plain";
        if (opts_.auto_consent) {
            const std::string code =
                mint_code(redirect_uri, scopes, consent.challenge, consent.challenge_method);
            std::string location =
                redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&");
            location += "code=" + percent_encode(code);
            if (req.has_param("state")) location += "&state=" + percent_encode(consent.state);
            resp.status = 302;
            resp.headers.emplace_back("Location", location);
            return true;
        }
        std::string id;
        {
            std::lock_guard lock(auth_mu_);
            char buf[24];
            std::snprintf(buf, sizeof buf, "%016llx",
                          static_cast<unsigned long long>(token_rng_()));
            id = buf;
            consents_[id] = consent;
        }
        std::string scope_list;
        for (const auto& s : scopes)
            scope_list += "<li>" + html_escape(s) + "</li>";
        const std::string link = "/oauth/authorize/decision?request=" + id + "&amp;decision=";
        html_page(resp, 200, "Connect hubsync to HubSpot account " + std::to_string(opts_.hub_id),
                  "<p>The app <b>" + html_escape(client_id) + "</b> asks for:</p><ul>" +
                      scope_list +
                      "</ul>\n<form method=\"post\" action=\"/oauth/authorize/decision\">"
                      "<input type=\"hidden\" name=\"request\" value=\"" +
                      id +
                      "\">"
                      "<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">"
                      "Approve</button> <button type=\"submit\" name=\"decision\" value=\"deny\" "
                      "id=\"deny\">Deny</button></form>\n<p><a id=\"approve-link\" href=\"" +
                      link + "approve\">Approve</a> | <a id=\"deny-link\" href=\"" + link +
                      "deny\">Deny</a></p>");
        return true;
    }
    if (path == "/oauth/authorize/decision") {
        QueryParams p = req.params;
        if (req.method == "POST" && is_form(req.content_type)) {
            const auto body = parse_form(req.body);
            p.insert(p.end(), body.begin(), body.end());
        }
        Consent consent;
        {
            std::lock_guard lock(auth_mu_);
            auto it = consents_.find(param(p, "request"));
            if (it == consents_.end()) {
                html_page(resp, 400, "Authorization failed",
                          "<p id=\"error\">This consent request is unknown or was already "
                          "answered. Start again from the authorize URL.</p>");
                return true;
            }
            consent = it->second;
            consents_.erase(it);
        }
        std::string location = consent.redirect_uri +
                               (consent.redirect_uri.find('?') == std::string::npos ? "?" : "&");
        if (param(p, "decision") == "approve") {
            location +=
                "code=" + percent_encode(mint_code(consent.redirect_uri, consent.scopes,
                                                   consent.challenge, consent.challenge_method));
        } else {
            location += "error=access_denied&error_description=" +
                        percent_encode("The user denied access to the app.");
        }
        if (!consent.state.empty()) location += "&state=" + percent_encode(consent.state);
        resp.status = 302;
        resp.headers.emplace_back("Location", location);
        return true;
    }

    if (path.rfind("/oauth/v1/access-tokens/", 0) == 0 ||
        path.rfind("/oauth/v1/refresh-tokens/", 0) == 0) {
        legacy_token_lookup(req, resp);
        return true;
    }
    const OAuthCall* call = find_oauth_call(path);
    if (!call) {
        oauth_error(resp, 404, "invalid_request", "NOT_FOUND",
                    "Unknown OAuth endpoint: " + req.method + " " + path);
        return true;
    }
    if (req.method != "POST") {
        oauth_error(resp, 405, "invalid_request", "BAD_REQUEST", "Use POST for " + path);
        return true;
    }
    for (const char* secret : {"client_secret", "client_id", "code", "refresh_token", "token"}) {
        if (req.has_param(secret)) {
            oauth_error(resp, 400, "invalid_request", "BAD_REQUEST",
                        "Credentials must be sent in the request body "
                        "(application/x-www-form-urlencoded), never in the URL query.");
            return true;
        }
    }
    if (!is_form(req.content_type)) {
        oauth_error(resp, 400, "invalid_request", "BAD_REQUEST",
                    "The request body must be application/x-www-form-urlencoded.");
        return true;
    }
    const QueryParams form = parse_form(req.body);
    if (param(form, "client_id") != opts_.client_id) {
        oauth_error(resp, 400, "invalid_client", "BAD_CLIENT_ID", "missing or unknown client id");
        return true;
    }
    if (param(form, "client_secret") != opts_.client_secret) {
        oauth_error(resp, 400, "invalid_client", "BAD_CLIENT_SECRET",
                    "missing or invalid client secret");
        return true;
    }
    switch (*call) {
        case OAuthCall::kIntrospect:
            introspect(form, resp);
            break;
        case OAuthCall::kRevoke:
            revoke(form, resp);
            break;
        default:
            token_grant(form, resp);
            break;
    }
    return true;
}

// ---------------------------------------------------------------- token endpoint

void Simulator::Impl::token_grant(const QueryParams& form, SimResponse& resp) {
    const std::string grant = param(form, "grant_type");
    std::vector<std::string> scopes;
    std::string old_refresh;
    if (grant == "client_credentials") {
        // An app-level token: no refresh token, no account.
        scopes = split_scopes(param(form, "scope"));
        const Tokens t = mint_app_token(scopes);
        resp.body = "{\"token_type\":\"bearer\",\"access_token\":";
        append_json_string(resp.body, t.access_token);
        resp.body += ",\"expires_in\":" + std::to_string(t.expires_in) + ",\"scopes\":";
        append_scopes(resp.body, scopes);
        resp.body += "}";
        return;
    }
    if (grant == "authorization_code") {
        const std::string code = param(form, "code");
        std::lock_guard lock(auth_mu_);
        auto it = codes_.find(code);
        if (code.empty() || it == codes_.end() || now_ms() >= it->second.expires_ms) {
            oauth_error(resp, 400, "invalid_grant", "BAD_AUTH_CODE",
                        "missing or invalid auth code: it is unknown, expired or already used");
            return;
        }
        if (param(form, "redirect_uri") != it->second.redirect_uri) {
            oauth_error(resp, 400, "invalid_grant", "BAD_REDIRECT_URI",
                        "redirect_uri does not match the one used to get the code");
            return;
        }
        if (!it->second.challenge.empty()) {
            const std::string verifier = param(form, "code_verifier");
            const std::string expect =
                it->second.challenge_method == "S256" ? s256(verifier) : verifier;
            if (verifier.empty() || expect != it->second.challenge) {
                oauth_error(resp, 400, "invalid_grant", "BAD_AUTH_CODE",
                            "code_verifier is missing or does not match the code_challenge");
                return;
            }
        }
        scopes = it->second.scopes;
        codes_.erase(it);  // single use
    } else if (grant == "refresh_token") {
        old_refresh = param(form, "refresh_token");
        std::lock_guard lock(auth_mu_);
        auto it = refresh_.find(old_refresh);
        if (old_refresh.empty() || it == refresh_.end()) {
            oauth_error(resp, 400, "invalid_grant", "BAD_REFRESH_TOKEN",
                        "refresh token is invalid, expired or revoked");
            return;
        }
        scopes = it->second.scopes;
        // First use of a rotated token ends the grace period of the one it replaced.
        if (auto retired = retire_on_use_.find(old_refresh); retired != retire_on_use_.end()) {
            refresh_.erase(retired->second);
            retire_on_use_.erase(retired);
        }
    } else {
        oauth_error(resp, 400, "unsupported_grant_type", "BAD_GRANT_TYPE",
                    "grant_type must be authorization_code, refresh_token or client_credentials");
        return;
    }

    Tokens t = mint_tokens(scopes);
    if (!old_refresh.empty()) {
        std::lock_guard lock(auth_mu_);
        if (rotate_ && opts_.rotation_grace) {
            retire_on_use_[t.refresh_token] = old_refresh;  // valid until the new one is used
        } else if (rotate_) {
            refresh_.erase(old_refresh);  // the old one stops working at once
        } else {
            refresh_.erase(t.refresh_token);
            access_[t.access_token].refresh_token = old_refresh;
            t.refresh_token = old_refresh;
        }
    }
    resp.body = "{\"token_type\":\"bearer\",\"refresh_token\":";
    append_json_string(resp.body, t.refresh_token);
    resp.body += ",\"access_token\":";
    append_json_string(resp.body, t.access_token);
    resp.body += ",\"expires_in\":" + std::to_string(t.expires_in) +
                 ",\"token_use\":\"access_token\",\"hub_id\":" + std::to_string(opts_.hub_id) +
                 ",\"user_id\":" + std::to_string(kUserId) + ",\"scopes\":";
    append_scopes(resp.body, scopes);
    resp.body += "}";
}

// ---------------------------------------------------------------- introspection, revocation

bool Simulator::Impl::token_form(const QueryParams& form, SimResponse& resp, std::string& token,
                                 std::string& hint) {
    token = param(form, "token");
    hint = param(form, "token_type_hint");
    if (token.empty()) {
        oauth_error(resp, 400, "invalid_request", "BAD_REQUEST", "token is required");
        return false;
    }
    if (!hint.empty() && hint != "access_token" && hint != "refresh_token") {
        oauth_error(resp, 400, "invalid_request", "BAD_REQUEST",
                    "token_type_hint must be access_token or refresh_token");
        return false;
    }
    return true;
}

void Simulator::Impl::append_account(std::string& out) const {
    out +=
        ",\"hub_id\":" + std::to_string(opts_.hub_id) + ",\"hub_domain\":\"sim-" +
        std::to_string(opts_.hub_id) +
        ".example.com\",\"user\":\"sim-user@example.com\",\"user_id\":" + std::to_string(kUserId);
}

// RFC 7662: the hint only orders the look-up; an unknown, expired or revoked token is
// {"active":false}, not an error.
void Simulator::Impl::introspect(const QueryParams& form, SimResponse& resp) {
    std::string token, hint;
    if (!token_form(form, resp, token, hint)) return;
    std::lock_guard lock(auth_mu_);
    const std::int64_t now = now_ms();
    const auto access = access_.find(token);
    const bool access_active = access != access_.end() && now < access->second.expires_ms;
    const auto refresh = refresh_.find(token);
    const bool as_refresh =
        refresh != refresh_.end() && (!access_active || hint == "refresh_token");
    if (as_refresh) {
        resp.body = "{\"active\":true,\"token_use\":\"refresh_token\",\"scopes\":";
        append_scopes(resp.body, refresh->second.scopes);
        append_account(resp.body);
    } else if (access_active) {
        resp.body = "{\"active\":true,\"token_use\":\"access_token\",\"scopes\":";
        append_scopes(resp.body, access->second.scopes);
        resp.body += ",\"expires_in\":" + std::to_string((access->second.expires_ms - now) / 1000);
        if (!access->second.app_level) append_account(resp.body);
    } else {
        resp.body = "{\"active\":false}";
        return;
    }
    resp.body += ",\"app_id\":" + std::to_string(kAppId) + ",\"client_id\":";
    append_json_string(resp.body, opts_.client_id);
    resp.body += "}";
}

// RFC 7009: revoking an unknown token is not an error. A refresh token takes the access
// tokens minted from it along.
void Simulator::Impl::revoke(const QueryParams& form, SimResponse& resp) {
    std::string token, hint;
    if (!token_form(form, resp, token, hint)) return;
    std::lock_guard lock(auth_mu_);
    revoke_refresh_locked(token);
    access_.erase(token);
    resp.body = "{}";
}

void Simulator::Impl::revoke_refresh_locked(const std::string& token) {
    if (refresh_.erase(token) == 0) return;
    for (auto it = access_.begin(); it != access_.end();)
        it = it->second.refresh_token == token ? access_.erase(it) : std::next(it);
}

// ---------------------------------------------------------------- legacy look-ups

// GET /oauth/v1/access-tokens/{t}, GET|DELETE /oauth/v1/refresh-tokens/{t}: the token in the
// path, which is why HubSpot retires them.
void Simulator::Impl::legacy_token_lookup(const SimRequest& req, SimResponse& resp) {
    const bool access = req.path.rfind("/oauth/v1/access-tokens/", 0) == 0;
    const std::string token = req.path.substr(access ? 24 : 25);
    std::lock_guard lock(auth_mu_);
    if (!access && req.method == "DELETE") {
        revoke_refresh_locked(token);
        resp.status = 204;
        return;
    }
    if (req.method != "GET") {
        oauth_error(resp, 405, "invalid_request", "BAD_REQUEST",
                    "Method not allowed: use GET" + std::string(access ? "" : " or DELETE"));
        return;
    }
    const std::int64_t now = now_ms();
    const AccessToken* found_access = nullptr;
    const RefreshToken* found_refresh = nullptr;
    if (access) {
        auto it = access_.find(token);
        if (it != access_.end() && now < it->second.expires_ms) found_access = &it->second;
    } else if (auto it = refresh_.find(token); it != refresh_.end()) {
        found_refresh = &it->second;
    }
    if (!found_access && !found_refresh) {
        if (access) {
            oauth_error(resp, 404, "invalid_token", "BAD_ACCESS_TOKEN",
                        "access token not found: it is unknown, expired or revoked");
        } else {
            oauth_error(resp, 404, "invalid_grant", "BAD_REFRESH_TOKEN",
                        "refresh token not found: it is unknown or revoked");
        }
        return;
    }
    resp.body = "{\"token\":";
    append_json_string(resp.body, token);
    resp.body += ",\"scopes\":";
    append_scopes(resp.body, found_access ? found_access->scopes : found_refresh->scopes);
    if (!found_access || !found_access->app_level) append_account(resp.body);
    resp.body += ",\"app_id\":" + std::to_string(kAppId) + ",\"token_type\":\"" +
                 (access ? "access" : "refresh") + "\"";
    if (found_access) {
        resp.body += ",\"expires_in\":" + std::to_string((found_access->expires_ms - now) / 1000);
    } else {
        resp.body += ",\"client_id\":";
        append_json_string(resp.body, opts_.client_id);
    }
    resp.body += "}";
}

}  // namespace hubsync::sim
