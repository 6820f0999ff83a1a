// The one redaction helper: every log line that can hold a URL, a header, a form or a body
// passes through redact() before it is written, so secrets never reach a log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hubsync {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Replaces the values of secret-bearing fields with [REDACTED]:
//  - query and form fields: client_secret=, access_token=, refresh_token=, code=,
//    code_verifier=, token=, id_token=, state= (and the same names in any case);
//  - JSON members with those names: "refresh_token": "..." ;
//  - HTTP credentials: "Authorization: Bearer x", "Bearer x" anywhere;
//  - every literal registered with add_secret() or set_secret() (at least 6 characters long).
// Thread-safe. Its cost per line is the line's length times the number of registered literals,
// which stays bounded however long the process runs (see set_secret()).
std::string redact(std::string_view text);

// Registers a literal secret that lives as long as the process (a client secret, a private
// app token, a one-time code) to be masked wherever it appears. Thread-safe. Values shorter
// than 6 characters are ignored (too likely to collide with ordinary text).
void add_secret(std::string_view value);

// Registers `value` as the current secret of `slot`, one kind of rotating secret (e.g.
// kAccessTokenSlot). The slot keeps masking its previous value too, for log lines about a
// request that was sent with it; the value before that is forgotten, because nothing can
// print it any more. So a service that rotates a token every 30 minutes for years masks the
// same number of literals in every line. Setting the current value again changes nothing.
// Thread-safe; values shorter than 6 characters are ignored.
void set_secret(std::string_view slot, std::string_view value);

// The slots of the OAuth tokens.
inline constexpr std::string_view kAccessTokenSlot = "oauth.access_token";
inline constexpr std::string_view kRefreshTokenSlot = "oauth.refresh_token";

// Forgets every registered secret, fixed and rotating (tests).
void clear_secrets();

// What the literal scan has cost so far, for tests that check it stays flat.
struct RedactionStats {
    std::size_t secrets = 0;             // literals every line is searched for, now
    std::uint64_t lines = 0;             // redact() calls so far
    std::uint64_t literal_searches = 0;  // one per literal per line, so far
    std::uint64_t bytes_searched = 0;    // line length times literals, summed over lines
};
RedactionStats redaction_stats();

}  // namespace hubsync
