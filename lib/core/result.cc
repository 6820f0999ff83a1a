// ErrorKind names and the mapping from error kinds to exit codes.
#include "core/result.h"

#include "core/exit_codes.h"

namespace hubsync {

const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kTransient:
            return "transient";
        case ErrorKind::kRateLimited:
            return "rate-limited";
        case ErrorKind::kUnauthorized:
            return "unauthorized";
        case ErrorKind::kAuthRequired:
            return "authorization-required";
        case ErrorKind::kForbidden:
            return "forbidden";
        case ErrorKind::kBadData:
            return "bad-data";
        case ErrorKind::kConfig:
            return "config";
        case ErrorKind::kUsage:
            return "usage";
        case ErrorKind::kIo:
            return "io";
        case ErrorKind::kNotFound:
            return "not-found";
        case ErrorKind::kCancelled:
            return "cancelled";
        case ErrorKind::kInternal:
            return "internal";
    }
    return "unknown";
}

std::string Error::describe() const {
    if (hint.empty()) return message;
    return message + " (" + hint + ")";
}

int Error::exit_code() const {
    switch (kind) {
        case ErrorKind::kTransient:
            return exit_code::kUnavailable;
        case ErrorKind::kRateLimited:
            return exit_code::kTempFail;
        case ErrorKind::kUnauthorized:
        case ErrorKind::kAuthRequired:
        case ErrorKind::kForbidden:
            return exit_code::kNoPerm;
        case ErrorKind::kBadData:
            return exit_code::kDataErr;
        case ErrorKind::kConfig:
            return exit_code::kConfig;
        case ErrorKind::kUsage:
            return exit_code::kUsage;
        case ErrorKind::kIo:
            return exit_code::kIoErr;
        case ErrorKind::kCancelled:
            return exit_code::kTempFail;
        case ErrorKind::kNotFound:
        case ErrorKind::kInternal:
            return exit_code::kSoftware;
    }
    return exit_code::kSoftware;
}

}  // namespace hubsync
