// URL parsing and percent-encoding.
#include "http/url.h"

#include <cctype>

#include "core/text.h"

namespace hubsync {
namespace {

bool is_unreserved(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string Url::origin() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    return scheme + "://" + h + ":" + std::to_string(port);
}

std::string Url::path_and_query() const {
    std::string out = path.empty() ? "/" : path;
    if (!query.empty()) out += "?" + query;
    return out;
}

std::string Url::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    // Appended piece by piece: GCC 12's -Wrestrict misfires on `"[" + host + "]"` chains.
    std::string out = scheme;
    out += "://";
    if (v6) out += '[';
    out += host;
    if (v6) out += ']';
    const bool default_port =
        (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    if (!default_port) {
        out += ':';
        out += std::to_string(port);
    }
    out += path_and_query();
    if (!fragment.empty()) {
        out += '#';
        out += fragment;
    }
    return out;
}

bool Url::is_loopback() const {
    return is_loopback_host(host);
}

bool is_loopback_host(std::string_view host) {
    const std::string h = lower(host);
    if (h == "localhost" || h == "::1" || h == "[::1]") return true;
    if (!h.starts_with("127.")) return false;
    // 127.a.b.c with each part a number 0..255
    int parts = 0;
    std::size_t pos = 0;
    while (pos <= h.size()) {
        const std::size_t dot = h.find('.', pos);
        const std::string_view part = std::string_view(h).substr(
            pos, dot == std::string::npos ? std::string::npos : dot - pos);
        const auto v = parse_int<int>(part);
        if (!v || *v < 0 || *v > 255) return false;
        ++parts;
        if (dot == std::string::npos) break;
        pos = dot + 1;
    }
    return parts == 4;
}

Result<Url> parse_url(std::string_view text) {
    Url url;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos)
        return make_error(ErrorKind::kConfig, "not an absolute URL: missing scheme://",
                          "write it as https://host/path");
    url.scheme = lower(text.substr(0, scheme_end));
    if (url.scheme != "http" && url.scheme != "https")
        return make_error(ErrorKind::kConfig, "unsupported URL scheme '" + url.scheme + "'",
                          "use https:// (http:// only for loopback hosts)");
    std::string_view rest = text.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    rest =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos)
        return make_error(ErrorKind::kConfig, "URL must not contain user credentials");
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return make_error(ErrorKind::kConfig, "URL has an unterminated IPv6 address");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return make_error(ErrorKind::kConfig, "URL host is malformed");
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = lower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return make_error(ErrorKind::kConfig, "URL has no host");
    if (!port_text.empty()) {
        const auto port = parse_int<int>(port_text);
        if (!port || *port <= 0 || *port > 65535)
            return make_error(ErrorKind::kConfig,
                              "URL port '" + std::string(port_text) + "' is not a port number");
        url.port = *port;
    } else {
        url.port = url.scheme == "https" ? 443 : 80;
    }
    const auto hash = rest.find('#');
    if (hash != std::string_view::npos) {
        url.fragment = std::string(rest.substr(hash + 1));
        rest = rest.substr(0, hash);
    }
    const auto qmark = rest.find('?');
    if (qmark != std::string_view::npos) {
        url.query = std::string(rest.substr(qmark + 1));
        rest = rest.substr(0, qmark);
    }
    url.path = rest.empty() ? "/" : std::string(rest);
    return url;
}

std::string url_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3 / 2);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string url_decode(std::string_view text, bool form) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(form && c == '+' ? ' ' : c);
    }
    return out;
}

Params parse_query(std::string_view query) {
    Params out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) {
            out.emplace_back(url_decode(pair, true), std::string());
        } else {
            out.emplace_back(url_decode(pair.substr(0, eq), true),
                             url_decode(pair.substr(eq + 1), true));
        }
    }
    return out;
}

std::string encode_query(const Params& params) {
    std::string out;
    for (const auto& [k, v] : params) {
        if (!out.empty()) out.push_back('&');
        out += url_encode(k);
        out.push_back('=');
        out += url_encode(v);
    }
    return out;
}

std::string param(const Params& params, std::string_view name) {
    for (const auto& [k, v] : params)
        if (k == name) return v;
    return {};
}

bool has_param(const Params& params, std::string_view name) {
    for (const auto& [k, v] : params)
        if (k == name) return true;
    return false;
}

}  // namespace hubsync
