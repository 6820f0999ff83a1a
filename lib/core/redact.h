// The one redaction helper: every log line that can hold a URL, a header, a form or a body
// passes through redact() before it is written, so secrets never reach a log.
#pragma once

#include <string>
#include <string_view>

namespace hubsync {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Replaces the values of secret-bearing fields with [REDACTED]:
//  - query and form fields: client_secret=, access_token=, refresh_token=, code=,
//    code_verifier=, token=, id_token=, state= (and the same names in any case);
//  - JSON members with those names: "refresh_token": "..." ;
//  - HTTP credentials: "Authorization: Bearer x", "Bearer x" anywhere;
//  - every literal registered with add_secret() (at least 6 characters long).
std::string redact(std::string_view text);

// Registers a literal secret value (a client secret, a token) to be masked wherever it
// appears. Thread-safe. Values shorter than 6 characters are ignored (too likely to collide).
void add_secret(std::string_view value);
// Forgets every registered secret (tests).
void clear_secrets();

}  // namespace hubsync
