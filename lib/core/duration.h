// Durations as written in the config file and on the command line: "90s", "5m", "24h",
// "2d", "500ms", and sums such as "1h30m".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hubsync {

// Parses a duration; nullopt for anything else (a bare number has no unit and is refused).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// The shortest exact spelling: 300000ms -> "5m", 90000ms -> "90s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace hubsync
