// Logging: one line per event, every line passed through redact(). Under systemd
// (JOURNAL_STREAM set) lines carry the <N> priority prefix journald understands; on a
// terminal a readable level word. Thread-safe.
#pragma once

#include <fmt/core.h>

#include <functional>
#include <string>
#include <string_view>

namespace hubsync {

enum class LogLevel { kDebug = 0, kInfo = 1, kNotice = 2, kWarning = 3, kError = 4 };

// Parses "debug", "info", "notice", "warning"/"warn", "error". False on anything else.
bool parse_log_level(std::string_view text, LogLevel& out);
const char* to_string(LogLevel level);

enum class LogFormat {
    kJournal,   // "<6>message": stderr connected to journald
    kTerminal,  // "INFO  message"
    kPlain,     // "2026-01-01T00:00:00.000Z INFO message": files and pipes
};

// Picks the format from the environment: JOURNAL_STREAM -> journal, a tty -> terminal.
LogFormat detect_log_format();

using LogSink = std::function<void(LogLevel, std::string_view line)>;

void set_log_level(LogLevel level);
LogLevel log_level();
void set_log_format(LogFormat format);
// Replaces the sink (default: stderr). The sink receives fully formatted, redacted lines.
// Pass nullptr to restore stderr.
void set_log_sink(LogSink sink);

// Writes one event. The message is redacted; newlines inside it are escaped.
void log_line(LogLevel level, std::string_view message);

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
    if (level < log_level()) return;
    log_line(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace hubsync

#define HS_LOG_DEBUG(...) ::hubsync::log(::hubsync::LogLevel::kDebug, __VA_ARGS__)
#define HS_LOG_INFO(...) ::hubsync::log(::hubsync::LogLevel::kInfo, __VA_ARGS__)
#define HS_LOG_NOTICE(...) ::hubsync::log(::hubsync::LogLevel::kNotice, __VA_ARGS__)
#define HS_LOG_WARN(...) ::hubsync::log(::hubsync::LogLevel::kWarning, __VA_ARGS__)
#define HS_LOG_ERROR(...) ::hubsync::log(::hubsync::LogLevel::kError, __VA_ARGS__)
