// Rate checks over recorded request times, shared by the API client's tests and the chaos
// command.
#pragma once

#include <algorithm>
#include <vector>

#include "core/clock.h"

namespace hubsync::testing {

// The largest number of instants in any half-open window [t, t + width).
inline int max_in_window(std::vector<Instant> times, Millis width) {
    std::sort(times.begin(), times.end());
    int best = 0;
    std::size_t lo = 0;
    for (std::size_t hi = 0; hi < times.size(); ++hi) {
        while (times[hi] - times[lo] >= width)
            ++lo;
        best = std::max(best, static_cast<int>(hi - lo + 1));
    }
    return best;
}

}  // namespace hubsync::testing
