// The process-wide logger.
#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/clock.h"
#include "core/redact.h"

namespace hubsync {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mu;
LogFormat g_format = detect_log_format();
LogSink g_sink;

// syslog priorities (sd-daemon.h): debug 7, info 6, notice 5, warning 4, err 3.
int syslog_priority(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return 7;
        case LogLevel::kInfo:
            return 6;
        case LogLevel::kNotice:
            return 5;
        case LogLevel::kWarning:
            return 4;
        case LogLevel::kError:
            return 3;
    }
    return 6;
}

std::string escape_newlines(std::string s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
    if (text == "debug")
        out = LogLevel::kDebug;
    else if (text == "info")
        out = LogLevel::kInfo;
    else if (text == "notice")
        out = LogLevel::kNotice;
    else if (text == "warning" || text == "warn")
        out = LogLevel::kWarning;
    else if (text == "error")
        out = LogLevel::kError;
    else
        return false;
    return true;
}

const char* to_string(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return "debug";
        case LogLevel::kInfo:
            return "info";
        case LogLevel::kNotice:
            return "notice";
        case LogLevel::kWarning:
            return "warning";
        case LogLevel::kError:
            return "error";
    }
    return "info";
}

LogFormat detect_log_format() {
    if (std::getenv("JOURNAL_STREAM") != nullptr) return LogFormat::kJournal;
    if (::isatty(STDERR_FILENO)) return LogFormat::kTerminal;
    return LogFormat::kPlain;
}

void set_log_level(LogLevel level) {
    g_level.store(level);
}
LogLevel log_level() {
    return g_level.load();
}

void set_log_format(LogFormat format) {
    std::lock_guard lock(g_mu);
    g_format = format;
}

void set_log_sink(LogSink sink) {
    std::lock_guard lock(g_mu);
    g_sink = std::move(sink);
}

void log_line(LogLevel level, std::string_view message) {
    if (level < log_level()) return;
    const std::string body = escape_newlines(redact(message));
    std::lock_guard lock(g_mu);
    std::string line;
    switch (g_format) {
        case LogFormat::kJournal:
            line = fmt::format("<{}>{}", syslog_priority(level), body);
            break;
        case LogFormat::kTerminal:
            line = fmt::format("{:<7} {}", to_string(level), body);
            break;
        case LogFormat::kPlain:
            line = fmt::format("{} {} {}", format_iso8601(SystemClock::instance().now()),
                               to_string(level), body);
            break;
    }
    if (g_sink) {
        g_sink(level, line);
        return;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace hubsync
