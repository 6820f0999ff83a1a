// Hand-written JSON output for the simulator's hot paths (list pages are written straight
// into one reserved string instead of building a DOM), plus time formatting helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hubsync::sim {

// Appends `text` as a JSON string literal, quotes included.
inline void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            default:
                out.append("\\u00");
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 15]);
        }
    }
    out.append(text.data() + run, text.size() - run);
    out.push_back('"');
}

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
// Parses "2024-09-11", "2024-09-11T13:27:39Z", "2024-09-11T13:27:39.356Z" or digits (epoch
// ms). False on anything else.
bool parse_time_ms(std::string_view text, std::int64_t& out);

}  // namespace hubsync::sim
