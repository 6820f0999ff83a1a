// A hand-written scanner (no std::regex: bodies can be large and regex recursion is deep).
#include "core/redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <vector>

namespace hubsync {
namespace {

constexpr std::array<std::string_view, 9> kSecretKeys = {
    "client_secret", "access_token", "refresh_token", "code_verifier",    "id_token",
    "code",          "token",        "state",         "private_app_token"};

constexpr std::size_t kMinSecretLength = 6;

// The registered literals: fixed ones, and two generations of each rotating slot. `active`
// is their union, longest first (so a secret containing another is masked whole), rebuilt on
// every change; changes are rare, lines are many.
class SecretRegistry final {
  public:
    void add(std::string_view value) {
        if (std::find(fixed_.begin(), fixed_.end(), value) != fixed_.end()) return;
        fixed_.emplace_back(value);
        rebuild();
    }

    void set(std::string_view slot, std::string_view value) {
        Generations& g = slots_[std::string(slot)];
        if (g.current == value) return;
        g.previous = std::move(g.current);
        g.current = value;
        rebuild();
    }

    void clear() {
        fixed_.clear();
        slots_.clear();
        active_.clear();
    }

    const std::vector<std::string>& active() const { return active_; }

  private:
    struct Generations {
        std::string current;
        std::string previous;
    };

    void rebuild() {
        active_ = fixed_;
        for (const auto& [slot, g] : slots_)
            for (const std::string* v : {&g.current, &g.previous})
                if (!v->empty() && std::find(active_.begin(), active_.end(), *v) == active_.end())
                    active_.push_back(*v);
        std::sort(active_.begin(), active_.end(),
                  [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    }

    std::vector<std::string> fixed_;
    std::map<std::string, Generations, std::less<>> slots_;
    std::vector<std::string> active_;
};

std::mutex g_mu;  // guards the registry and the stats
RedactionStats g_stats;
// A function-local static: a log line written during static initialisation finds it built.
SecretRegistry& registry() {
    static SecretRegistry r;
    return r;
}

bool is_word(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
    if (pos + word.size() > text.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
    }
    return true;
}

// Value end for an unquoted value: stops at separators used by URLs, forms, headers and JSON.
std::size_t unquoted_end(std::string_view text, std::size_t pos) {
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == '&' || c == '"' || c == '\'' || c == ',' || c == ';' || c == '}' || c == '<' ||
            c == '>' || std::isspace(static_cast<unsigned char>(c)))
            break;
        ++pos;
    }
    return pos;
}

std::size_t quoted_end(std::string_view text, std::size_t pos) {
    while (pos < text.size()) {
        if (text[pos] == '\\' && pos + 1 < text.size()) {
            pos += 2;
            continue;
        }
        if (text[pos] == '"') break;
        ++pos;
    }
    return pos;
}

// If a secret key starts at `pos`, returns where its value starts and ends.
bool match_field(std::string_view text, std::size_t pos, std::size_t& key_len,
                 std::size_t& value_begin, std::size_t& value_end) {
    if (pos > 0 && is_word(text[pos - 1])) return false;
    for (const auto key : kSecretKeys) {
        if (!iequals_at(text, pos, key)) continue;
        std::size_t p = pos + key.size();
        if (p < text.size() && is_word(text[p])) continue;
        if (p < text.size() && text[p] == '=') {  // form or query field
            value_begin = p + 1;
            value_end = unquoted_end(text, value_begin);
            key_len = key.size();
            return true;
        }
        if (p < text.size() && text[p] == '"' && pos > 0 && text[pos - 1] == '"') {  // JSON key
            ++p;
            while (p < text.size() && std::isspace(static_cast<unsigned char>(text[p])))
                ++p;
            if (p >= text.size() || text[p] != ':') continue;
            ++p;
            while (p < text.size() && std::isspace(static_cast<unsigned char>(text[p])))
                ++p;
            if (p < text.size() && text[p] == '"') {
                value_begin = p + 1;
                value_end = quoted_end(text, value_begin);
            } else {
                value_begin = p;
                value_end = unquoted_end(text, p);
            }
            key_len = key.size();
            return true;
        }
    }
    return false;
}

// "Bearer <credential>" (also "Basic"), case-insensitive.
bool match_credential(std::string_view text, std::size_t pos, std::size_t& value_begin,
                      std::size_t& value_end) {
    if (pos > 0 && is_word(text[pos - 1])) return false;
    for (const std::string_view scheme :
         {std::string_view("bearer "), std::string_view("basic ")}) {
        if (!iequals_at(text, pos, scheme)) continue;
        std::size_t p = pos + scheme.size();
        while (p < text.size() && text[p] == ' ')
            ++p;
        value_begin = p;
        value_end = unquoted_end(text, p);
        return value_end > value_begin;
    }
    return false;
}

std::string redact_fields(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t key_len = 0, vb = 0, ve = 0;
        if (match_field(text, i, key_len, vb, ve)) {
            out.append(text.substr(i, vb - i));
            if (ve > vb) out.append(kRedacted);
            i = ve;
            continue;
        }
        if (match_credential(text, i, vb, ve)) {
            out.append(text.substr(i, vb - i));
            out.append(kRedacted);
            i = ve;
            continue;
        }
        out.push_back(text[i]);
        ++i;
    }
    return out;
}

void replace_all(std::string& s, std::string_view what) {
    std::size_t pos = 0;
    while ((pos = s.find(what, pos)) != std::string::npos) {
        s.replace(pos, what.size(), kRedacted);
        pos += kRedacted.size();
    }
}

}  // namespace

std::string redact(std::string_view text) {
    std::string out = redact_fields(text);
    std::lock_guard lock(g_mu);
    const auto& secrets = registry().active();
    ++g_stats.lines;
    g_stats.literal_searches += secrets.size();
    g_stats.bytes_searched += secrets.size() * out.size();
    for (const auto& secret : secrets)
        replace_all(out, secret);
    return out;
}

void add_secret(std::string_view value) {
    if (value.size() < kMinSecretLength) return;
    std::lock_guard lock(g_mu);
    registry().add(value);
}

void set_secret(std::string_view slot, std::string_view value) {
    if (value.size() < kMinSecretLength) return;
    std::lock_guard lock(g_mu);
    registry().set(slot, value);
}

void clear_secrets() {
    std::lock_guard lock(g_mu);
    registry().clear();
}

RedactionStats redaction_stats() {
    std::lock_guard lock(g_mu);
    RedactionStats stats = g_stats;
    stats.secrets = registry().active().size();
    return stats;
}

}  // namespace hubsync
