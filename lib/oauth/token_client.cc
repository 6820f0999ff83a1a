// Token endpoint calls and HubSpot error classification.
#include "oauth/token_client.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <optional>
#include <string_view>

#include "core/log.h"
#include "core/redact.h"

namespace hubsync {
namespace {

using JsonObject = Poco::JSON::Object::Ptr;

JsonObject parse_object(const std::string& body) {
    try {
        Poco::JSON::Parser parser;
        auto var = parser.parse(body);
        if (var.type() == typeid(Poco::JSON::Object::Ptr)) return var.extract<JsonObject>();
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    return nullptr;
}

std::string get_string(const JsonObject& obj, const std::string& key) {
    if (!obj || !obj->has(key)) return {};
    try {
        const auto v = obj->get(key);
        if (v.isEmpty()) return {};
        return v.convert<std::string>();
    } catch (const Poco::Exception&) {
        return {};
    }
}

std::int64_t get_int(const JsonObject& obj, const std::string& key) {
    if (!obj || !obj->has(key)) return 0;
    try {
        const auto v = obj->get(key);
        if (v.isEmpty()) return 0;
        return v.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        return 0;
    }
}

std::vector<std::string> get_scopes(const JsonObject& obj) {
    std::vector<std::string> out;
    if (!obj) return out;
    for (const char* key : {"scopes", "scope"}) {
        if (!obj->has(key)) continue;
        try {
            if (auto arr = obj->getArray(key)) {
                for (std::size_t i = 0; i < arr->size(); ++i)
                    out.push_back(arr->getElement<std::string>(i));
                return out;
            }
            return split_scopes(obj->getValue<std::string>(key));
        } catch (const Poco::Exception&) {
        }
    }
    return out;
}

// HubSpot's own words, kept short and free of secrets, for the error message.
std::string server_words(const JsonObject& obj, const HttpResponse& response) {
    std::string words = get_string(obj, "error_description");
    if (words.empty()) words = get_string(obj, "message");
    if (words.empty() && !obj) words = response.body.substr(0, 120);
    for (auto& c : words)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    if (words.size() > 200) words = words.substr(0, 200) + "...";
    return redact(words);
}

// What a token endpoint's error code means for hubsync. Legacy `status` values and RFC 6749
// `error` values share the table (their spellings never collide); the legacy one is looked up
// first because it is the more specific (invalid_grant + BAD_REDIRECT_URI is a redirect
// problem).
enum class TokenFailure { kAuthorization, kRedirect, kClient, kTransient };

struct TokenErrorRule {
    std::string_view code;
    TokenFailure failure;
};

constexpr TokenErrorRule kTokenErrorRules[] = {
    // legacy `status`
    {"BAD_REFRESH_TOKEN", TokenFailure::kAuthorization},
    {"BAD_AUTH_CODE", TokenFailure::kAuthorization},
    {"EXPIRED_AUTH_CODE", TokenFailure::kAuthorization},
    {"INVALID_GRANT", TokenFailure::kAuthorization},
    {"BAD_REDIRECT_URI", TokenFailure::kRedirect},
    {"BAD_CLIENT_ID", TokenFailure::kClient},
    {"BAD_CLIENT_SECRET", TokenFailure::kClient},
    // RFC 6749 `error`
    {"invalid_grant", TokenFailure::kAuthorization},
    {"redirect_uri_mismatch", TokenFailure::kRedirect},
    {"invalid_client", TokenFailure::kClient},
    {"unauthorized_client", TokenFailure::kClient},
    {"server_error", TokenFailure::kTransient},
    {"temporarily_unavailable", TokenFailure::kTransient},
};

std::optional<TokenFailure> failure_of(const std::string& code) {
    if (code.empty()) return std::nullopt;
    for (const TokenErrorRule& rule : kTokenErrorRules)
        if (rule.code == code) return rule.failure;
    return std::nullopt;
}

Error token_failure_error(TokenFailure failure, const std::string& message) {
    switch (failure) {
        case TokenFailure::kAuthorization:
            return make_error(ErrorKind::kAuthRequired, message,
                              "the authorization is no longer valid; run `hubsync authorize`");
        case TokenFailure::kRedirect:
            return make_error(ErrorKind::kConfig, message,
                              "redirect_uri must equal a redirect URL registered for the app");
        case TokenFailure::kClient:
            return make_error(
                ErrorKind::kConfig, message,
                "check client_id and client_secret_file against the app's Auth settings");
        case TokenFailure::kTransient:
            return make_error(ErrorKind::kTransient, message,
                              "HubSpot is having trouble; retrying later");
    }
    return make_error(ErrorKind::kInternal, message);
}

}  // namespace

std::vector<std::string> split_scopes(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto start = text.find_first_not_of(" \t", pos);
        if (start == std::string::npos) break;
        const auto end = text.find_first_of(" \t", start);
        out.push_back(text.substr(start, end == std::string::npos ? end : end - start));
        pos = end == std::string::npos ? text.size() : end;
    }
    return out;
}

std::string effective_token_url(const std::string& token_url, const std::string& api_base_url,
                                const std::string& api_version) {
    if (!token_url.empty()) return token_url;
    std::string base = api_base_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base + endpoint_path(Endpoint::kOAuthToken, api_version);
}

std::string oauth_base_url(const std::string& token_url) {
    const auto scheme_end = token_url.find("://");
    if (scheme_end == std::string::npos) return token_url;
    const auto path = token_url.find('/', scheme_end + 3);
    if (path == std::string::npos) return token_url;
    const auto oauth = token_url.find("/oauth/", path);
    return token_url.substr(0, oauth == std::string::npos ? path : oauth);
}

Error classify_token_error(const HttpResponse& response, const std::string& what) {
    const JsonObject obj = parse_object(response.body);
    const std::string error = get_string(obj, "error");
    const std::string status = get_string(obj, "status");
    const std::string correlation = get_string(obj, "correlationId");
    std::string detail = "HTTP " + std::to_string(response.status);
    if (!error.empty()) detail += ", " + error;
    if (!status.empty() && status != "error") detail += ", " + status;
    const std::string words = server_words(obj, response);
    if (!words.empty()) detail += ": " + words;
    if (!correlation.empty()) detail += " [correlationId " + redact(correlation) + "]";
    const std::string message = what + " failed (" + detail + ")";

    if (response.status == 429)
        return make_error(ErrorKind::kRateLimited, message,
                          "HubSpot is rate limiting; retrying later");
    if (response.status >= 500)
        return make_error(ErrorKind::kTransient, message,
                          "HubSpot is having trouble; retrying later");
    if (auto failure = failure_of(status)) return token_failure_error(*failure, message);
    if (auto failure = failure_of(error)) return token_failure_error(*failure, message);
    if (response.status == 401 || response.status == 403)
        return token_failure_error(TokenFailure::kClient, message);
    if (response.status == 404)
        return make_error(ErrorKind::kConfig, message,
                          "there is no OAuth endpoint at this address: check api_base_url, "
                          "api_version and token_url (`hubsync check-config` warns about "
                          "retired paths)");
    if (response.status == 408) return make_error(ErrorKind::kTransient, message, "retrying later");
    return make_error(ErrorKind::kBadData, message, "check client_id, client_secret and token_url");
}

TokenClient::TokenClient(HttpTransport& transport, TokenEndpoint endpoint)
    : transport_(transport), endpoint_(std::move(endpoint)) {
    add_secret(endpoint_.client_secret);
}

std::string TokenClient::url_of(Endpoint endpoint) const {
    return oauth_base_url(endpoint_.token_url) + endpoint_path(endpoint, endpoint_.api_version);
}

Params TokenClient::token_form(const std::string& token, const char* type_hint) const {
    return {{"client_id", endpoint_.client_id},
            {"client_secret", endpoint_.client_secret},
            {"token", token},
            {"token_type_hint", type_hint}};
}

Result<HttpResponse> TokenClient::post_form(const std::string& url, const Params& form) {
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.content_type = "application/x-www-form-urlencoded;charset=utf-8";
    request.headers.emplace_back("Accept", "application/json");
    request.body = encode_query(form);
    return transport_.send(request);
}

namespace {

Result<TokenResponse> parse_token_response(const HttpResponse& response, const std::string& what) {
    const JsonObject obj = parse_object(response.body);
    TokenResponse out;
    out.access_token = get_string(obj, "access_token");
    out.refresh_token = get_string(obj, "refresh_token");
    out.token_type = get_string(obj, "token_type");
    out.expires_in = std::chrono::seconds(get_int(obj, "expires_in"));
    out.hub_id = get_int(obj, "hub_id");
    out.scopes = get_scopes(obj);
    if (!obj || out.access_token.empty())
        return make_error(ErrorKind::kBadData,
                          what + ": HubSpot's answer has no access_token (HTTP " +
                              std::to_string(response.status) + ")",
                          "check token_url; it must be HubSpot's token endpoint");
    set_secret(kAccessTokenSlot, out.access_token);
    set_secret(kRefreshTokenSlot, out.refresh_token);
    if (out.expires_in.count() <= 0) {
        // Never guess a long lifetime: assume the documented 30 minutes.
        HS_LOG_WARN("{}: no usable expires_in in HubSpot's answer; assuming 1800 s", what);
        out.expires_in = std::chrono::seconds(1800);
    }
    return out;
}

}  // namespace

Result<TokenResponse> TokenClient::exchange_code(const std::string& code,
                                                 const std::string& redirect_uri,
                                                 const std::string& code_verifier) {
    add_secret(code);
    add_secret(code_verifier);
    Params form = {{"grant_type", "authorization_code"},
                   {"client_id", endpoint_.client_id},
                   {"client_secret", endpoint_.client_secret},
                   {"redirect_uri", redirect_uri},
                   {"code", code}};
    if (!code_verifier.empty()) form.emplace_back("code_verifier", code_verifier);
    HS_ASSIGN_OR_RETURN(auto response, post_form(endpoint_.token_url, form));
    if (response.status < 200 || response.status >= 300) {
        Error e = classify_token_error(response, "exchanging the authorization code");
        if (e.kind == ErrorKind::kAuthRequired)
            e.hint =
                "the code was refused (codes are single use, expire within minutes, and need "
                "the same redirect_uri); run `hubsync authorize` again";
        return e;
    }
    return parse_token_response(response, "exchanging the authorization code");
}

Result<TokenResponse> TokenClient::refresh(const std::string& refresh_token) {
    const Params form = {{"grant_type", "refresh_token"},
                         {"client_id", endpoint_.client_id},
                         {"client_secret", endpoint_.client_secret},
                         {"refresh_token", refresh_token}};
    HS_ASSIGN_OR_RETURN(auto response, post_form(endpoint_.token_url, form));
    if (response.status < 200 || response.status >= 300)
        return classify_token_error(response, "refreshing the access token");
    return parse_token_response(response, "refreshing the access token");
}

Result<TokenInfo> TokenClient::introspect(const std::string& access_token) {
    HS_ASSIGN_OR_RETURN(
        const HttpResponse response,
        post_form(url_of(Endpoint::kOAuthIntrospect), token_form(access_token, "access_token")));
    if (response.status < 200 || response.status >= 300)
        return classify_token_error(response, "introspecting the access token");
    const JsonObject obj = parse_object(response.body);
    if (!obj)
        return make_error(ErrorKind::kBadData,
                          "token introspection answered with something not JSON",
                          "check api_base_url and token_url");
    TokenInfo info;
    info.active = obj->has("active") ? get_string(obj, "active") == "true" : true;
    info.hub_id = get_int(obj, "hub_id");
    info.hub_domain = get_string(obj, "hub_domain");
    info.scopes = get_scopes(obj);
    info.expires_in = std::chrono::seconds(get_int(obj, "expires_in"));
    info.user = get_string(obj, "user");
    info.app_id = get_int(obj, "app_id");
    return info;
}

Status TokenClient::revoke(const std::string& refresh_token) {
    HS_ASSIGN_OR_RETURN(
        const HttpResponse response,
        post_form(url_of(Endpoint::kOAuthRevoke), token_form(refresh_token, "refresh_token")));
    if (response.status >= 200 && response.status < 300) return Status::Ok();
    Error e = classify_token_error(response, "revoking the refresh token");
    // Already invalid at HubSpot: the goal of revoking is reached. A 404 is not taken as
    // "unknown token" (the dated endpoint answers 200 for those, RFC 7009): it means the
    // endpoint is missing, and the token may still be valid.
    if (e.kind == ErrorKind::kAuthRequired) return Status::Ok();
    return e;
}

}  // namespace hubsync
