// Exponential backoff with equal jitter.
#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace hubsync {

std::chrono::milliseconds exponential_backoff(int failures, std::chrono::milliseconds initial,
                                              std::chrono::milliseconds max) {
    max = std::max(max, initial);
    std::chrono::milliseconds delay = initial;
    for (int i = 1; i < failures && delay < max; ++i)
        delay *= 2;
    return std::min(delay, max);
}

std::chrono::milliseconds equal_jitter(std::chrono::milliseconds delay, double unit) {
    unit = std::clamp(unit, 0.0, 1.0);
    const auto half = delay.count() / 2;
    return std::chrono::milliseconds(half + static_cast<std::chrono::milliseconds::rep>(std::floor(
                                                unit * static_cast<double>(delay.count() - half))));
}

}  // namespace hubsync
