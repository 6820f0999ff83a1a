// The process exit codes (sysexits.h), defined once for every command.
#pragma once

namespace hubsync::exit_code {

inline constexpr int kOk = 0;
// `hubsync verify`: the mirror and HubSpot disagree by more than changes in flight explain (like
// diff and cmp, 1 means "they differ", not "it failed").
inline constexpr int kDiffers = 1;
inline constexpr int kUsage = 64;        // EX_USAGE: bad command line
inline constexpr int kDataErr = 65;      // EX_DATAERR: bad data from HubSpot
inline constexpr int kUnavailable = 69;  // EX_UNAVAILABLE: HubSpot unreachable after retries
inline constexpr int kSoftware = 70;     // EX_SOFTWARE: internal error
inline constexpr int kIoErr = 74;        // EX_IOERR: local I/O failure
inline constexpr int kTempFail = 75;     // EX_TEMPFAIL: temporary failure, try later
inline constexpr int kNoPerm = 77;       // EX_NOPERM: not authorized, run `hubsync authorize`
inline constexpr int kConfig = 78;       // EX_CONFIG: bad configuration

}  // namespace hubsync::exit_code
