// Small helpers for the OAuth tests: a log capture and file modes (TempDir is shared).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "core/log.h"
#include "support/temp_dir.h"

namespace hubsync::testing {

// Captures every log line while alive.
class LogCapture final {
  public:
    LogCapture() {
        set_log_level(LogLevel::kDebug);
        set_log_sink([this](LogLevel, std::string_view line) {
            std::lock_guard lock(mu_);
            lines_.emplace_back(line);
        });
    }
    ~LogCapture() {
        set_log_sink(nullptr);
        set_log_level(LogLevel::kInfo);
    }
    std::vector<std::string> lines() {
        std::lock_guard lock(mu_);
        return lines_;
    }
    std::string all() {
        std::string out;
        for (const auto& l : lines())
            out += l + "\n";
        return out;
    }
    int count_containing(const std::string& text) {
        int n = 0;
        for (const auto& l : lines())
            if (l.find(text) != std::string::npos) ++n;
        return n;
    }

  private:
    std::mutex mu_;
    std::vector<std::string> lines_;
};

inline int file_mode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
}

}  // namespace hubsync::testing
