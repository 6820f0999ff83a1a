// A fresh directory under the system temp dir for one test, removed with everything in it
// (even what the test made unreadable), so no test leaves files behind or sees another's.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace hubsync::testing {

class TempDir final {
  public:
    // `prefix` names the directory, so a leftover one tells which tests made it.
    explicit TempDir(const std::string& prefix = "hubsync-test") {
        std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX"));
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    // The path of `name` inside the directory (nothing is created).
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    std::string operator/(const std::string& name) const { return file(name); }

    // Writes `content` to `name` with permissions `mode`; returns the full path.
    std::string write(const std::string& name, const std::string& content,
                      mode_t mode = 0600) const {
        const std::string p = file(name);
        {
            std::ofstream out(p, std::ios::binary | std::ios::trunc);
            out << content;
            if (!out) throw std::runtime_error("cannot write " + p);
        }
        ::chmod(p.c_str(), mode);
        return p;
    }

  private:
    std::string path_;
};

}  // namespace hubsync::testing
