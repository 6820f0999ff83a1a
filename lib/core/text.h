// Small text helpers the whole engine shares: ASCII case folding, trimming and strict integer
// parsing.
#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>

namespace hubsync {

// ASCII lower case, independent of the locale: header names, host names, HubSpot property
// names and configuration words are ASCII, and a Turkish locale must not change them.
std::string lower(std::string_view text);

// `text` without the ASCII white space (space, tab, CR, LF, VT, FF) at either end, independent
// of the locale.
std::string_view trim(std::string_view text);

// The value of `name` in a state text of the form "v1;name=value;other=value": what follows
// ";name=" up to the next ';' or the end. nullopt when the field is absent.
std::optional<std::string_view> state_field(std::string_view text, std::string_view name);

// The whole of `text` as a decimal integer: an optional '-' (signed types only) and digits,
// nothing else (no spaces, no '+', no trailing text). nullopt when it is not one or does not
// fit in T.
template <std::integral T>
std::optional<T> parse_int(std::string_view text) {
    T value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

}  // namespace hubsync
