// Hand-written JSON output for the simulator's hot paths (list pages are written straight
// into one reserved string instead of building a DOM), plus time formatting helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_string.h"

namespace hubsync::sim {

// The engine's escaper: a JSON string literal, quotes included.
using hubsync::append_json_string;

inline void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    char* p = buf + sizeof buf;
    const bool neg = v < 0;
    std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    do {
        *--p = static_cast<char>('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (neg) *--p = '-';
    out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Epoch milliseconds -> "2024-09-11T13:27:39.356Z" (always UTC, always milliseconds).
void append_iso8601_ms(std::string& out, std::int64_t epoch_ms);
// Epoch milliseconds -> "2024-09-11".
void append_date(std::string& out, std::int64_t epoch_ms);
// Epoch milliseconds -> "Wed, 11 Sep 2024 13:27:39 GMT" (RFC 7231 IMF-fixdate; the
// milliseconds are dropped).
void append_http_date(std::string& out, std::int64_t epoch_ms);
// Parses "2024-09-11", "2024-09-11T13:27:39Z", "2024-09-11T13:27:39.356Z" or digits (epoch
// ms). False on anything else.
bool parse_time_ms(std::string_view text, std::int64_t& out);

}  // namespace hubsync::sim
