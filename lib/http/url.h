// URLs, query strings and form bodies: parsing and percent-encoding (RFC 3986).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace hubsync {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Url {
    std::string scheme;  // "http" or "https", lower case
    std::string host;    // without brackets for IPv6
    int port = 0;        // explicit or the scheme's default
    std::string path;    // "/" when empty
    std::string query;   // raw, without '?'
    std::string fragment;

    // scheme://host[:port]: the key for connection reuse.
    std::string origin() const;
    // path?query
    std::string path_and_query() const;
    std::string to_string() const;
    bool is_loopback() const;
};

// Parses an absolute http(s) URL. Errors are kConfig-kind with a message naming the problem.
Result<Url> parse_url(std::string_view text);

// True for localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

// Percent-encodes everything but RFC 3986 unreserved characters (space becomes %20).
std::string url_encode(std::string_view text);
// Decodes %XX escapes; in form mode '+' is a space. Invalid escapes are kept literally.
std::string url_decode(std::string_view text, bool form = false);

// "a=1&b=2" -> {{a,1},{b,2}}, decoded (form rules: '+' is a space).
Params parse_query(std::string_view query);
// {{a,1},{b,2}} -> "a=1&b=2", encoded.
std::string encode_query(const Params& params);

// The first value of `name`, or empty.
std::string param(const Params& params, std::string_view name);
bool has_param(const Params& params, std::string_view name);

}  // namespace hubsync
