// Duration parsing and formatting.
#include "core/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

#include "core/text.h"

namespace hubsync {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
    s = trim(s);
    if (s.empty()) return std::nullopt;
    std::int64_t total = 0;
    while (!s.empty()) {
        std::int64_t n = 0;
        std::size_t digits = 0;
        while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
            if (n > std::numeric_limits<std::int64_t>::max() / 10 - 10) return std::nullopt;
            n = n * 10 + (s.front() - '0');
            s.remove_prefix(1);
            ++digits;
        }
        if (digits == 0) return std::nullopt;
        std::int64_t unit = 0;
        if (s.starts_with("ms")) {
            unit = 1;
            s.remove_prefix(2);
        } else if (!s.empty()) {
            switch (s.front()) {
                case 's':
                    unit = 1000;
                    break;
                case 'm':
                    unit = 60'000;
                    break;
                case 'h':
                    unit = 3'600'000;
                    break;
                case 'd':
                    unit = 86'400'000;
                    break;
                default:
                    return std::nullopt;
            }
            s.remove_prefix(1);
        } else {
            return std::nullopt;
        }
        if (n > std::numeric_limits<std::int64_t>::max() / unit) return std::nullopt;
        total += n * unit;
    }
    return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
    const std::int64_t ms = d.count();
    struct Unit {
        std::int64_t size;
        const char* name;
    };
    static constexpr Unit kUnits[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
    for (const auto& u : kUnits) {
        if (ms != 0 && ms % u.size == 0) return std::to_string(ms / u.size) + u.name;
    }
    return std::to_string(ms) + "ms";
}

}  // namespace hubsync
