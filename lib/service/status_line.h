// The one-line service summary sent as STATUS= and shown by `systemctl status`: when the
// last sync was, how many contacts are mirrored, when the token expires, or what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"

namespace hubsync {

struct StatusLineInput {
    Instant now;
    // A problem a person should know about (the last error, "not authorized: ..."). Empty
    // when all is well. It leads the line, because it is what the admin needs first.
    std::string problem;
    // When a failed task is retried next, shown with the problem.
    std::optional<Instant> retry_at;
    bool syncing = false;                     // a sync is running right now
    std::int64_t sync_progress = -1;          // contacts written by the running sync, -1 unknown
    std::optional<Instant> last_sync;         // end of the last successful sync
    std::int64_t contacts = -1;               // active contacts in the mirror, -1 unknown
    std::optional<Instant> next_sync;         // when the next sync is due
    bool static_token = false;                // a service key: no expiry to show
    std::optional<Instant> token_expires_at;  // access token expiry
};

// One line, at most kMaxStatusLine bytes, never a newline, secrets redacted. Examples:
//   "synced 3m ago, 20,000 contacts, next sync in 2m, token valid 27m"
//   "sync failed: HubSpot unreachable (retry in 2m); last sync 1h ago, 20,000 contacts"
//   "not authorized: run hubsync authorize"
std::string format_status_line(const StatusLineInput& in);

inline constexpr std::size_t kMaxStatusLine = 200;

// "3m", "1h05m", "2d3h", "45s": a compact age or remaining time for status lines.
std::string format_age(Millis d);
// 20000 -> "20,000".
std::string format_count(std::int64_t n);

}  // namespace hubsync
