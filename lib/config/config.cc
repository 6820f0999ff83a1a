// Loading the configuration: the INI parser, environment overrides, value checks and secret
// files. Every problem names its origin (file:line or the environment variable) and a fix.
#include "config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "config/keys.h"
#include "core/duration.h"
#include "core/redact.h"
#include "core/text.h"
#include "http/url.h"
#include "model/endpoints.h"

extern char** environ;

namespace hubsync {
namespace {

constexpr std::size_t kMaxConfigSize = 1 << 20;
constexpr std::size_t kMaxSecretSize = 64 << 10;

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::string in_quotes(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::string mode_string(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// A whole small file, or why it could not be read.
struct FileContent {
    bool ok = false;
    std::string text;
    std::string problem;  // e.g. "No such file or directory"
    int error = 0;        // errno of the failure, 0 for other problems
    mode_t mode = 0;
};

// `regular_only`: secrets and CA files must be regular files. A FIFO or a device such as
// /dev/kmsg would otherwise block the loader (and the service's reload) forever; the config
// file itself may be a pipe (`--config <(...)`), where blocking until it is written is expected.
FileContent read_file(const std::string& path, std::size_t max_size, bool regular_only = false) {
    FileContent f;
    const auto fail = [&f](int fd, int error, std::string problem) {
        if (fd >= 0) ::close(fd);
        f.error = error;
        f.problem = std::move(problem);
        return f;
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
    if (fd < 0) return fail(-1, errno, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(fd, errno, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return fail(fd, 0, "it is a directory");
    if (regular_only && !S_ISREG(st.st_mode)) return fail(fd, 0, "it is not a regular file");
    f.mode = st.st_mode;
    char buf[8192];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(fd, errno, std::strerror(errno));
        }
        if (n == 0) break;
        f.text.append(buf, static_cast<std::size_t>(n));
        if (f.text.size() > max_size) {
            return fail(fd, 0, "it is larger than " + std::to_string(max_size / 1024) + " KiB");
        }
    }
    ::close(fd);
    f.ok = true;
    return f;
}

// The nearest candidate within a small edit distance, or empty.
template <typename Range, typename Name>
std::string nearest(std::string_view word, const Range& candidates, Name name_of) {
    std::string best;
    std::size_t best_distance = suggestion_distance(word) + 1;
    for (const auto& candidate : candidates) {
        const std::string name(name_of(candidate));
        // The distance is at least the difference in length; skipping those candidates keeps
        // a long unknown key from costing an n*m table per candidate (seconds on a 1 MiB line).
        const std::size_t gap =
            word.size() > name.size() ? word.size() - name.size() : name.size() - word.size();
        if (gap >= best_distance) continue;
        const std::size_t d = edit_distance(word, name);
        if (d < best_distance) {
            best_distance = d;
            best = name;
        }
    }
    return best;
}

std::vector<std::string> section_names() {
    std::vector<std::string> out;
    for (const auto& key : config_keys()) {
        if (std::find(out.begin(), out.end(), key.section) == out.end())
            out.emplace_back(key.section);
    }
    return out;
}

std::string keys_of_section(std::string_view section) {
    std::string out;
    for (const auto& key : config_keys()) {
        if (key.section != section) continue;
        if (!out.empty()) out += ", ";
        out += key.name;
    }
    return out;
}

// A value as written, with where it was written.
struct Setting {
    std::string value;
    std::string origin;  // "FILE:LINE" or the environment variable's name
    bool from_env = false;
    int line = 0;
    const KeyAlias* alias = nullptr;  // set under an old name
};

// The key's name as the setting wrote it (an old name when set through an alias).
std::string_view written_name(const KeyDef& key, const Setting* s) {
    return s != nullptr && s->alias != nullptr ? s->alias->name : key.name;
}

// "on 2027-02-16" or "in 2027-09": HubSpot names a day for some retirements, a month for others.
std::string retirement_date(std::string_view stops) {
    return (stops.size() > 7 ? "on " : "in ") + std::string(stops);
}

class Loader final {
  public:
    Loader(std::string path, const Environment& env) : path_(std::move(path)), env_(env) {}

    ConfigCheck run() {
        result_.config.path = path_;
        if (!read_config_file()) {  // nothing else is worth reporting
            finish();
            return std::move(result_);
        }
        parse_file();
        apply_environment();
        for (const auto& key : config_keys())
            if (key.id != ConfigKey::kTypeProperties) convert(key);
        convert_type_properties();
        const std::size_t before_secrets = problem_count();
        load_secrets();
        secret_problem_ = problem_count() != before_secrets;
        check_required();
        add_warnings();
        finish();
        return std::move(result_);
    }

  private:
    // ---- reporting ----

    // Problems are reported in file order, then those from the environment, then the rest.
    static constexpr int kEnvironmentOrder = 1 << 29;
    static constexpr int kLastOrder = 1 << 30;

    void problem(const std::string& where, const std::string& what, std::string hint,
                 int order = kLastOrder) {
        problems_.emplace_back(
            order, make_error(ErrorKind::kConfig, where + ": " + what, std::move(hint)));
    }
    void line_problem(int line, const std::string& what, std::string hint) {
        problem(path_ + ":" + std::to_string(line), what, std::move(hint), line);
    }
    static std::string where(const Setting& s) {
        return s.from_env ? "environment variable " + s.origin : s.origin;
    }
    static int order(const Setting& s) { return s.from_env ? kEnvironmentOrder : s.line; }
    void setting_problem(const Setting& s, const std::string& what, std::string hint) {
        problem(where(s), what, std::move(hint), order(s));
    }
    std::size_t problem_count() const { return problems_.size(); }

    void finish() {
        std::stable_sort(problems_.begin(), problems_.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& p : problems_)
            result_.problems.push_back(std::move(p.second));
    }

    // ---- the file ----

    bool read_config_file() {
        FileContent file = read_file(path_, kMaxConfigSize);
        if (!file.ok) {
            problem(path_, "cannot read the config file: " + file.problem,
                    "create it (see the example hubsync.conf), or name another file with "
                    "--config FILE or $HUBSYNC_CONFIG");
            return false;
        }
        text_ = std::move(file.text);
        file_mode_ = file.mode;
        std::error_code ec;
        const auto absolute = std::filesystem::absolute(path_, ec);
        base_dir_ = ec ? std::filesystem::path(".") : absolute.parent_path();
        return true;
    }

    void parse_file() {
        std::string_view text = text_;
        if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
        int line_no = 0;
        while (!text.empty()) {
            const auto nl = text.find('\n');
            std::string_view line = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
            ++line_no;
            parse_line(line_no, line);
        }
    }

    void parse_line(int line_no, std::string_view raw) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == ';' || line.front() == '#') return;
        if (line.front() == '[') {
            parse_section(line_no, line);
            return;
        }
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            const std::string word(trim(line));
            const bool is_key = section_ok_ && find_config_key(section_, word) != nullptr;
            line_problem(
                line_no, "expected 'key = value' or '[section]', found " + in_quotes(word),
                is_key ? "write '" + word + " = VALUE'"
                       : "settings are written 'key = value'; comments start with ';' or '#'");
            return;
        }
        const std::string name(trim(line.substr(0, eq)));
        std::string value;
        if (!parse_value(line_no, line.substr(eq + 1), value)) return;
        if (name.empty()) {
            line_problem(line_no, "missing key name before '='", "write 'key = value'");
            return;
        }
        if (section_.empty()) {
            std::string hint = "add a [section] header above it";
            for (const auto& key : config_keys()) {
                if (key.name == name) hint = "put it under [" + std::string(key.section) + "]";
            }
            line_problem(line_no, "key " + in_quotes(name) + " is outside any section", hint);
            return;
        }
        if (!section_ok_) return;  // already reported at the section header
        const KeyAlias* alias = find_config_key_alias(section_, name);
        const KeyDef* key =
            alias != nullptr ? &config_key(alias->key) : find_config_key(section_, name);
        std::string type;
        if (key == nullptr && find_type_key(section_, name, type) != nullptr) {
            add_type_setting(line_no, name, type, value);
            return;
        }
        if (key == nullptr) {
            report_unknown_key(line_no, name);
            return;
        }
        const auto [it, inserted] = settings_.try_emplace(
            key->id, Setting{value, path_ + ":" + std::to_string(line_no), false, line_no, alias});
        if (inserted) return;
        if (it->second.alias != alias) {
            line_problem(line_no,
                         "both " + std::string(key->name) + " and its old name " +
                             std::string(alias != nullptr ? alias->name : it->second.alias->name) +
                             " are set (the other on line " + std::to_string(it->second.line) + ")",
                         "keep only " + std::string(key->name));
            return;
        }
        line_problem(line_no,
                     "duplicate key " + in_quotes(name) + " in [" + section_ +
                         "] (first set on line " + std::to_string(it->second.line) + ")",
                     "remove one of the two lines");
    }

    // properties.TYPE = ...: one line per type, in the file.
    void add_type_setting(int line_no, const std::string& name, const std::string& type,
                          const std::string& value) {
        const auto [it, inserted] = type_settings_.try_emplace(
            type, Setting{value, path_ + ":" + std::to_string(line_no), false, line_no});
        if (inserted) return;
        line_problem(line_no,
                     "duplicate key " + in_quotes(name) + " in [" + section_ +
                         "] (first set on line " + std::to_string(it->second.line) + ")",
                     "remove one of the two lines");
    }

    void parse_section(int line_no, std::string_view line) {
        const auto close = line.find(']');
        section_ok_ = false;
        if (close == std::string_view::npos) {
            section_ = "?";
            line_problem(line_no, "section header without closing ']'", "write it as [sync]");
            return;
        }
        const std::string_view rest = trim(line.substr(close + 1));
        if (!rest.empty() && rest.front() != ';' && rest.front() != '#') {
            section_ = "?";
            line_problem(line_no, "unexpected text after the section header: " + in_quotes(rest),
                         "put comments after ';' or '#'");
            return;
        }
        section_ = std::string(trim(line.substr(1, close - 1)));
        if (section_.empty()) {
            section_ = "?";
            line_problem(line_no, "empty section name '[]'",
                         "sections are [hubspot], [sync], [token] and [log]");
            return;
        }
        if (!is_config_section(section_)) {
            const auto names = section_names();
            const std::string suggestion =
                nearest(section_, names, [](const std::string& s) { return s; });
            line_problem(line_no, "unknown section [" + section_ + "]",
                         suggestion.empty() ? "sections are [hubspot], [sync], [token] and [log]"
                                            : "did you mean [" + suggestion + "]?");
            return;
        }
        section_ok_ = true;
    }

    // Strips comments and optional double quotes from the text after '='.
    bool parse_value(int line_no, std::string_view text, std::string& out) {
        text = trim(text);
        if (!text.empty() && text.front() == '"') {
            const auto close = text.find('"', 1);
            if (close == std::string_view::npos) {
                line_problem(line_no, "unterminated quote in value", "close the value with '\"'");
                return false;
            }
            const std::string_view rest = trim(text.substr(close + 1));
            if (!rest.empty() && rest.front() != ';' && rest.front() != '#') {
                line_problem(line_no, "unexpected text after the quoted value: " + in_quotes(rest),
                             "put comments after ';' or '#'");
                return false;
            }
            out = std::string(text.substr(1, close - 1));
            return true;
        }
        // A comment starts at ';' or '#' at the beginning of the value or after whitespace, so
        // URLs with '#' fragments and values containing ';' survive.
        for (std::size_t i = 0; i < text.size(); ++i) {
            if ((text[i] == ';' || text[i] == '#') && (i == 0 || is_space(text[i - 1]))) {
                text = text.substr(0, i);
                break;
            }
        }
        out = std::string(trim(text));
        return true;
    }

    void report_unknown_key(int line_no, const std::string& name) {
        std::vector<std::string_view> here;
        for (const auto& key : config_keys()) {
            if (key.section == section_) here.push_back(key.name);
        }
        std::string hint;
        if (const std::string s = nearest(name, here, [](std::string_view n) { return n; });
            !s.empty()) {
            hint = "did you mean " + in_quotes(s) + "?";
        } else {
            std::vector<const KeyDef*> all;
            for (const auto& key : config_keys())
                all.push_back(&key);
            const std::string other = nearest(name, all, [](const KeyDef* k) { return k->name; });
            for (const auto& key : config_keys()) {
                if (!other.empty() && key.name == other) {
                    hint = "did you mean " + in_quotes(other) + " in [" + std::string(key.section) +
                           "]?";
                }
            }
        }
        if (hint.empty()) hint = "known keys in [" + section_ + "]: " + keys_of_section(section_);
        line_problem(line_no, "unknown key " + in_quotes(name) + " in [" + section_ + "]", hint);
    }

    // ---- the environment ----

    void apply_environment() {
        for (const auto& [name, value] : env_) {
            const std::string prefix = env_var_prefix(config_key(ConfigKey::kTypeProperties));
            if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
            const std::string type = lower(std::string_view(name).substr(prefix.size()));
            if (value.empty()) {
                type_settings_.erase(type);
                continue;
            }
            type_settings_[type] = Setting{value, name, true, 0};
        }
        for (const auto& key : config_keys()) {
            if (key.id == ConfigKey::kTypeProperties) continue;
            const auto it = env_.find(env_var_name(key));
            if (it == env_.end()) continue;
            if (it->second.empty()) {
                settings_.erase(key.id);  // an empty override restores the default
                continue;
            }
            settings_[key.id] = Setting{it->second, it->first, true, 0};
        }
        for (const auto& alias : config_key_aliases())
            apply_alias_override(alias);
        for (const auto& [name, value] : env_) {
            if (!name.starts_with("HUBSYNC_") || name == "HUBSYNC_CONFIG") continue;
            if (looks_like_override(name)) check_override_name(name);
        }
    }

    // An override under a key's old name counts as the key's, unless the new name is set too.
    void apply_alias_override(const KeyAlias& alias) {
        const auto it = env_.find(env_var_name(alias));
        if (it == env_.end()) return;
        const KeyDef& key = config_key(alias.key);
        const auto current = env_.find(env_var_name(key));
        const bool key_set = current != env_.end() && !current->second.empty();
        if (key_set && !it->second.empty()) {
            problem("environment variable " + it->first,
                    "both " + current->first + " and its old name " + it->first + " are set",
                    "keep only " + current->first, kEnvironmentOrder);
            return;
        }
        if (key_set) return;
        if (it->second.empty()) {
            settings_.erase(key.id);
            return;
        }
        settings_[key.id] = Setting{it->second, it->first, true, 0, &alias};
    }

    // Every variable name hubsync reads.
    static std::vector<std::string> known_variables() {
        std::vector<std::string> known = {"HUBSYNC_CONFIG"};
        for (const auto& key : config_keys())
            known.push_back(env_var_name(key));
        for (const auto& alias : config_key_aliases())
            known.push_back(env_var_name(alias));
        return known;
    }

    // Other HUBSYNC_* variables are left alone unless they look like a misspelt override.
    static bool looks_like_override(const std::string& name) {
        const std::string rest = lower(std::string_view(name).substr(8));
        for (const auto& key : config_keys()) {
            if (rest.starts_with(std::string(key.section) + "_") || rest == key.name) return true;
        }
        // Variables read elsewhere (HUBSYNC_AUTHORIZE_TIMEOUT, ...) must not be caught here, so
        // only near misses of HUBSYNC_CONFIG count beyond the section prefixes.
        return edit_distance(name, "HUBSYNC_CONFIG") <= 2;
    }

    void check_override_name(const std::string& name) {
        if (name.starts_with(env_var_prefix(config_key(ConfigKey::kTypeProperties)))) return;
        const std::vector<std::string> known = known_variables();
        if (std::find(known.begin(), known.end(), name) != known.end()) return;
        std::string suggestion = nearest(name, known, [](const std::string& s) { return s; });
        const std::string rest = lower(std::string_view(name).substr(8));
        for (const auto& key : config_keys()) {
            if (rest == key.name) suggestion = env_var_name(key);
        }
        problem("environment variable " + name, "no such setting",
                suggestion.empty()
                    ? "overrides are named HUBSYNC_<SECTION>_<KEY>, e.g. HUBSYNC_SYNC_INTERVAL"
                    : "did you mean " + suggestion + "?",
                kEnvironmentOrder);
    }

    // ---- values ----

    const Setting* setting(ConfigKey id) const {
        const auto it = settings_.find(id);
        return it == settings_.end() ? nullptr : &it->second;
    }

    // The raw value of a key (as set, or its default) and the Setting, if any.
    void convert(const KeyDef& key) {
        const Setting* s = setting(key.id);
        std::string value = s != nullptr ? s->value : std::string(key.default_value);
        if (s != nullptr && value.empty() && !key.default_value.empty()) {
            setting_problem(
                *s, std::string(key.name) + " has no value",
                "remove the line to use the default (" + std::string(key.default_value) + ")");
            return;
        }
        const Setting fallback{value, "default", false, 0};
        const Setting& origin = s != nullptr ? *s : fallback;
        const std::size_t before = problem_count();
        std::string shown = value;
        if (!value.empty()) shown = assign(key, origin, value);
        if (problem_count() != before) {
            if (key.id == ConfigKey::kClientId) client_id_problem_ = true;
            return;
        }
        if (key.kind == KeyKind::kSecret && !value.empty()) shown = "(set)";
        result_.entries.push_back(
            ConfigEntry{key_label(key), shown, s != nullptr ? s->origin : "default"});
    }

    // Checks `value` by the key's kind and stores it; returns the value as used.
    std::string assign(const KeyDef& key, const Setting& s, const std::string& value) {
        Config& c = result_.config;
        switch (key.id) {
            case ConfigKey::kClientId:
                if (check_word(key, s, value)) c.hubspot.client_id = value;
                return value;
            case ConfigKey::kClientSecretFile:
                return client_secret_file_ = resolve_path(s, value);
            case ConfigKey::kClientSecret:
                inline_secret_ = s;
                return value;
            case ConfigKey::kScopes:
                if (check_scopes(s, value)) c.hubspot.scopes = value;
                return value;
            case ConfigKey::kRedirectUri:
                return assign_url(key, s, value, c.hubspot.redirect_uri);
            case ConfigKey::kAccessTokenFile:
                return access_token_file_ = resolve_path(s, value);
            case ConfigKey::kApiVersion:
                if (check_api_version(s, value)) c.hubspot.api_version = value;
                return value;
            case ConfigKey::kAuthorizeUrl:
                return assign_url(key, s, value, c.hubspot.authorize_url);
            case ConfigKey::kApiBaseUrl:
                return assign_url(key, s, value, c.hubspot.api_base_url);
            case ConfigKey::kTokenUrl:
                return assign_url(key, s, value, c.hubspot.token_url);
            case ConfigKey::kCaFile:
                return assign_ca_file(s, value);
            case ConfigKey::kDatabase:
                return c.sync.database = resolve_path(s, value);
            case ConfigKey::kStateDir:
                return c.sync.state_dir = resolve_path(s, value);
            case ConfigKey::kInterval:
                return assign_duration(key, s, value, c.sync.interval);
            case ConfigKey::kObjects:
                if (auto list = parse_objects(s, value)) c.sync.objects = std::move(*list);
                return value;
            case ConfigKey::kProperties:
                if (auto list = parse_properties(s, value)) c.sync.properties = std::move(*list);
                return value;
            case ConfigKey::kTypeProperties:
                return value;  // convert_type_properties()
            case ConfigKey::kSensitiveProperties:
                return assign_bool(key, s, value, c.sync.sensitive_properties);
            case ConfigKey::kTrackChanges:
                if (lower(trim(value)) == "none") {
                    c.sync.track_changes.clear();
                } else if (trim(value) == "*") {
                    setting_problem(s, "track_changes cannot be *",
                                    "name the properties to track (e.g. lifecyclestage, "
                                    "dealstage), or none");
                } else if (auto list = parse_properties(s, value)) {
                    c.sync.track_changes = std::move(*list);
                }
                return value;
            case ConfigKey::kLookback:
                return assign_duration(key, s, value, c.sync.lookback);
            case ConfigKey::kReconcileInterval:
                return assign_duration(key, s, value, c.sync.reconcile_interval);
            case ConfigKey::kArchivedInterval:
                return assign_duration(key, s, value, c.sync.archived_interval);
            case ConfigKey::kAssociations:
                return assign_bool(key, s, value, c.sync.associations);
            case ConfigKey::kAssociationsInterval:
                return assign_duration(key, s, value, c.sync.associations_interval);
            case ConfigKey::kOwners:
                return assign_bool(key, s, value, c.sync.owners);
            case ConfigKey::kReferenceInterval:
                return assign_duration(key, s, value, c.sync.reference_interval);
            case ConfigKey::kRetryInitial:
                return assign_duration(key, s, value, c.sync.retry_initial);
            case ConfigKey::kRetryMax:
                return assign_duration(key, s, value, c.sync.retry_max);
            case ConfigKey::kRequestsPer10s:
                if (lower(value) == "auto") {
                    c.sync.requests_per_10s = 0;
                    return "auto";
                }
                return assign_int(key, s, value, c.sync.requests_per_10s);
            case ConfigKey::kSearchesPerSecond:
                return assign_int(key, s, value, c.sync.searches_per_second);
            case ConfigKey::kRangeReads:
                return assign_bool(key, s, value, c.sync.range_reads);
            case ConfigKey::kHttpTimeout:
                return assign_duration(key, s, value, c.sync.http_timeout);
            case ConfigKey::kMaxUrlLength:
                return assign_int(key, s, value, c.sync.max_url_length);
            case ConfigKey::kRefreshMargin:
                return assign_duration(key, s, value, c.token.refresh_margin);
            case ConfigKey::kLogLevel: {
                LogLevel level{};
                if (!parse_log_level(lower(value), level)) {
                    setting_problem(s, "unknown log level " + in_quotes(value),
                                    "use debug, info, notice, warning or error");
                } else {
                    c.log.level = level;
                }
                return to_string(level);
            }
        }
        return value;
    }

    bool check_word(const KeyDef& key, const Setting& s, const std::string& value) {
        if (std::any_of(value.begin(), value.end(), is_space)) {
            setting_problem(s,
                            std::string(key.name) + " must not contain spaces: " + in_quotes(value),
                            "copy the value exactly as HubSpot shows it");
            return false;
        }
        return true;
    }

    bool check_api_version(const Setting& s, const std::string& value) {
        if (find_api_version(value) != nullptr) return true;
        std::string accepted;
        for (const ApiVersion& v : api_versions())
            accepted += (accepted.empty() ? "" : ", ") + std::string(v.name);
        setting_problem(s, "unknown api_version " + in_quotes(value),
                        "use one of the versions this hubsync speaks: " + accepted + " (default " +
                            std::string(default_api_version()) + ")");
        return false;
    }

    std::string assign_bool(const KeyDef& key, const Setting& s, const std::string& value,
                            bool& out) {
        const std::string word = lower(value);
        if (word != "true" && word != "false") {
            setting_problem(
                s, std::string(key.name) + " " + in_quotes(value) + " is not true or false",
                "write " + std::string(key.name) + " = true or " + std::string(key.name) +
                    " = false");
            return value;
        }
        out = word == "true";
        return word;
    }

    bool check_scopes(const Setting& s, const std::string& value) {
        if (value.find(',') != std::string::npos) {
            setting_problem(s, "scopes are separated by spaces, not commas: " + in_quotes(value),
                            "write e.g. 'oauth crm.objects.contacts.read'");
            return false;
        }
        for (const char c : value) {
            const bool ok = std::islower(static_cast<unsigned char>(c)) ||
                            std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                            c == '_' || is_space(c);
            if (!ok) {
                setting_problem(
                    s, "scopes contain " + in_quotes(std::string(1, c)) + ": " + in_quotes(value),
                    "scopes are lower-case names such as crm.objects.contacts.read, separated by "
                    "spaces");
                return false;
            }
        }
        return true;
    }

    std::string assign_url(const KeyDef& key, const Setting& s, std::string value,
                           std::string& out) {
        auto url = parse_url(value);
        if (!url.ok()) {
            setting_problem(
                s, std::string(key.name) + " " + in_quotes(value) + ": " + url.error().message,
                url.error().hint.empty()
                    ? "write a full URL such as " + std::string(key.default_value.empty()
                                                                    ? key.example_value
                                                                    : key.default_value)
                    : url.error().hint);
            return value;
        }
        if (url->scheme == "http" && !url->is_loopback()) {
            setting_problem(s,
                            std::string(key.name) + " " + in_quotes(value) +
                                ": plain http:// is allowed only for loopback hosts (localhost, "
                                "127.0.0.1, ::1)",
                            "use https://" + url->host + "/...");
            return value;
        }
        if (!url->fragment.empty() || value.find('#') != std::string::npos) {
            setting_problem(s,
                            std::string(key.name) + " " + in_quotes(value) +
                                ": a URL here cannot have a #fragment",
                            "remove the part from '#'");
            return value;
        }
        if (key.id == ConfigKey::kApiBaseUrl) {
            if (!url->query.empty()) {
                setting_problem(
                    s, "api_base_url " + in_quotes(value) + ": a base URL cannot have a ?query",
                    "write only scheme, host, port and path, e.g. https://api.hubapi.com");
                return value;
            }
            while (value.ends_with('/'))
                value.pop_back();
        }
        out = value;
        return value;
    }

    std::string assign_duration(const KeyDef& key, const Setting& s, const std::string& value,
                                std::chrono::milliseconds& out) {
        const auto d = parse_duration(value);
        if (!d) {
            const bool bare_number =
                !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c));
                });
            setting_problem(s, "bad duration " + in_quotes(value) + " for " + std::string(key.name),
                            bare_number ? "add a unit, e.g. " + value + "s or " + value + "m"
                                        : "write a number with a unit: 90s, 5m, 24h, 1h30m");
            return value;
        }
        if (d->count() < key.min || d->count() > key.max) {
            setting_problem(s, std::string(key.name) + " " + in_quotes(value) + " is out of range",
                            "use a duration from " +
                                format_duration(std::chrono::milliseconds(key.min)) + " to " +
                                format_duration(std::chrono::milliseconds(key.max)));
            return value;
        }
        out = *d;
        return value;
    }

    std::string assign_int(const KeyDef& key, const Setting& s, const std::string& value,
                           int& out) {
        const auto n = parse_int<long long>(value);
        if (!n) {
            const bool has_auto = key.default_value == "auto";
            setting_problem(s,
                            std::string(key.name) + " " + in_quotes(value) + " is not " +
                                (has_auto ? "auto or " : "") + "a whole number",
                            has_auto ? "write auto, or a number from " + std::to_string(key.min) +
                                           " to " + std::to_string(key.max)
                                     : "write digits only, e.g. " + std::string(key.default_value));
            return value;
        }
        if (*n < key.min || *n > key.max) {
            setting_problem(
                s, std::string(key.name) + " " + value + " is out of range",
                "use a number from " + std::to_string(key.min) + " to " + std::to_string(key.max));
            return value;
        }
        out = static_cast<int>(*n);
        return value;
    }

    // Relative paths in the file are relative to the file's directory (the service's working
    // directory is "/"), in the environment relative to the current directory.
    std::string resolve_path(const Setting& s, const std::string& value) const {
        const std::filesystem::path p(value);
        if (p.is_absolute()) return value;
        if (s.from_env) {
            std::error_code ec;
            const auto abs = std::filesystem::absolute(p, ec);
            return ec ? value : abs.lexically_normal().string();
        }
        return (base_dir_ / p).lexically_normal().string();
    }

    std::string assign_ca_file(const Setting& s, const std::string& value) {
        const std::string path = resolve_path(s, value);
        const FileContent file = read_file(path, 16 << 20, true);
        if (!file.ok) {
            setting_problem(s, "cannot read ca_file " + in_quotes(path) + ": " + file.problem,
                            "name a readable PEM file of CA certificates, or remove the line");
            return path;
        }
        result_.config.hubspot.ca_file = path;
        return path;
    }

    void convert_type_properties() {
        const KeyDef& key = config_key(ConfigKey::kTypeProperties);
        for (const auto& [type, s] : type_settings_) {
            const std::string name = "properties." + type;
            if (!valid_object_name(type)) {
                setting_problem(s, in_quotes(name) + " does not name an object type",
                                "write properties.contacts, properties.deals, ... or "
                                "properties.NAME with a custom object's name");
                continue;
            }
            if (s.value.empty()) {
                setting_problem(s, name + " has no value",
                                "write * for every property, or remove the line to use the "
                                "properties list");
                continue;
            }
            const std::size_t before = problem_count();
            auto list = parse_properties(s, s.value);
            if (problem_count() != before || !list) continue;
            result_.config.sync.type_properties[type] = std::move(*list);
            result_.entries.push_back(
                ConfigEntry{"[" + std::string(key.section) + "] " + name, s.value, s.origin});
        }
    }

    // Object type names as HubSpot spells them: letters, digits, '_' and '-' (type ids).
    static bool valid_object_name(const std::string& name) {
        return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    }

    std::optional<std::vector<std::string>> parse_objects(const Setting& s,
                                                          const std::string& value) {
        std::vector<std::string> names;
        std::set<std::string> seen;
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            const std::string name(trim(rest.substr(0, comma)));
            if (name != "*" && !valid_object_name(name)) {
                setting_problem(s,
                                name.empty() ? std::string("empty name in the objects list")
                                             : in_quotes(name) + " is not an object type name",
                                "list contacts, companies, deals, tickets or custom object "
                                "names separated by commas, or write *");
                return std::nullopt;
            }
            if (!seen.insert(name).second) {
                setting_problem(s, "object type " + in_quotes(name) + " is listed twice",
                                "list each type once");
                return std::nullopt;
            }
            names.push_back(name);
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
        }
        return names;
    }

    std::optional<std::vector<std::string>> parse_properties(const Setting& s,
                                                             const std::string& value) {
        if (trim(value) == "*") return std::vector<std::string>{};
        std::vector<std::string> names;
        std::set<std::string> seen;  // a list of 100,000 names must not take quadratic time
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            const std::string_view piece = trim(rest.substr(0, comma));
            if (piece.empty()) {
                setting_problem(s, "empty property name in the properties list",
                                "separate names with single commas: email, firstname, lastname");
                return std::nullopt;
            }
            std::string_view words = piece;
            while (!words.empty()) {
                const auto end = std::find_if(words.begin(), words.end(), is_space) - words.begin();
                const std::string name(words.substr(0, static_cast<std::size_t>(end)));
                words = trim(words.substr(static_cast<std::size_t>(end)));
                if (!check_property_name(s, name, seen)) return std::nullopt;
                seen.insert(name);
                names.push_back(name);
            }
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
        }
        return names;
    }

    bool check_property_name(const Setting& s, const std::string& name,
                             const std::set<std::string>& seen) {
        if (name == "*") {
            setting_problem(s, "'*' cannot be combined with property names",
                            "use * alone for every property, or list names only");
            return false;
        }
        const bool valid = std::isalpha(static_cast<unsigned char>(name.front())) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                           });
        if (!valid) {
            setting_problem(
                s, in_quotes(name) + " is not a property name",
                "use HubSpot's internal names (letters, digits and underscores), e.g. email, "
                "lifecyclestage");
            return false;
        }
        if (lower(name) != name) {
            setting_problem(s, "property names are lower case: " + in_quotes(name),
                            "did you mean " + in_quotes(lower(name)) + "?");
            return false;
        }
        if (seen.count(name) != 0) {
            setting_problem(s, "property " + in_quotes(name) + " is listed twice",
                            "list each property once");
            return false;
        }
        return true;
    }

    // ---- secrets ----

    std::optional<std::string> read_secret(const std::string& what, const std::string& path,
                                           const std::string& where_text, int order) {
        auto secret = read_secret_file(path, what);
        if (!secret.ok()) {
            problem(where_text, secret.error().message, secret.error().hint, order);
            return std::nullopt;
        }
        if (!secret->private_to_owner) {
            result_.warnings.push_back(what + " " + path +
                                       " is accessible to group or others (mode " + secret->mode +
                                       "); chmod 600 it");
        }
        return secret->value;
    }

    void load_secrets() {
        HubSpotConfig& h = result_.config.hubspot;
        if (const Setting* s = setting(ConfigKey::kAccessTokenFile);
            s != nullptr && !access_token_file_.empty()) {
            const std::string name(written_name(config_key(ConfigKey::kAccessTokenFile), s));
            if (auto token = read_secret(name, access_token_file_, where(*s), order(*s))) {
                h.access_token = *token;
                h.access_token_file = access_token_file_;
            }
        }
        if (inline_secret_ && !inline_secret_->from_env &&
            (file_mode_ & (S_IRWXG | S_IRWXO)) != 0) {
            setting_problem(
                *inline_secret_,
                "client_secret is written inline, but this file is accessible to group or "
                "others (mode " +
                    mode_string(file_mode_) + ")",
                "chmod 600 " + path_ + ", or move the secret into client_secret_file");
            inline_secret_.reset();
            return;
        }
        const Setting* file_setting = setting(ConfigKey::kClientSecretFile);
        if (file_setting != nullptr && !client_secret_file_.empty()) {
            if (inline_secret_) {
                setting_problem(*inline_secret_,
                                "both client_secret and client_secret_file are set",
                                "keep only one of them");
                return;
            }
            if (auto secret = read_secret("client_secret_file", client_secret_file_,
                                          where(*file_setting), order(*file_setting))) {
                h.client_secret = *secret;
                h.client_secret_source = client_secret_file_;
            }
            return;
        }
        if (const auto dir = env_.find("CREDENTIALS_DIRECTORY");
            dir != env_.end() && !dir->second.empty()) {
            const std::string path = dir->second + "/client_secret";
            std::error_code ec;
            if (std::filesystem::exists(path, ec)) {
                if (auto secret =
                        read_secret("credential", path, "$CREDENTIALS_DIRECTORY/client_secret",
                                    kEnvironmentOrder)) {
                    h.client_secret = *secret;
                    h.client_secret_source = "$CREDENTIALS_DIRECTORY/client_secret (" + path + ")";
                    if (inline_secret_) {
                        result_.warnings.push_back(
                            "the inline client_secret is ignored: "
                            "$CREDENTIALS_DIRECTORY/client_secret takes precedence");
                    }
                }
                return;
            }
        }
        if (inline_secret_) {
            h.client_secret = inline_secret_->value;
            add_secret(h.client_secret);
            h.client_secret_source = inline_secret_->from_env
                                         ? "environment variable " + inline_secret_->origin
                                         : "inline client_secret at " + inline_secret_->origin;
        }
    }

    void check_required() {
        HubSpotConfig& h = result_.config.hubspot;
        if (h.token_url.empty())
            h.token_url = h.api_base_url + endpoint_path(Endpoint::kOAuthToken, h.api_version);
        for (auto& entry : result_.entries) {
            if (entry.label == key_label(config_key(ConfigKey::kTokenUrl)) && entry.value.empty()) {
                entry.value = h.token_url;
            }
        }
        if (h.static_token() || setting(ConfigKey::kAccessTokenFile) != nullptr) return;
        if (h.client_id.empty() && !client_id_problem_) {
            problem(path_, "missing required key client_id in [hubspot]",
                    "add 'client_id = ...' from your app's Auth settings, or set "
                    "access_token_file to a service key's file");
        }
        const bool secret_attempted =
            setting(ConfigKey::kClientSecretFile) != nullptr || inline_secret_.has_value();
        if (h.client_secret.empty() && !secret_attempted && !secret_problem_) {
            problem(path_, "no client secret configured",
                    "set client_secret_file in [hubspot], or provide "
                    "$CREDENTIALS_DIRECTORY/client_secret "
                    "(systemd LoadCredential=)");
        }
    }

    void add_warnings() {
        const HubSpotConfig& h = result_.config.hubspot;
        if (h.client_id == config_key(ConfigKey::kClientId).example_value) {
            result_.warnings.push_back(
                "client_id is still the example placeholder; set your app's client ID");
        }
        if (!h.static_token() &&
            (" " + h.scopes + " ").find(" crm.objects.contacts.read ") == std::string::npos) {
            result_.warnings.push_back(
                "scopes lack crm.objects.contacts.read, which reading contacts needs");
        }
        warn_about_old_names();
        warn_about_retired_paths();
    }

    void warn_about_old_names() {
        for (const auto& [id, s] : settings_) {
            if (s.alias == nullptr) continue;
            const KeyDef& key = config_key(id);
            const std::string old_name = s.from_env ? s.origin : std::string(s.alias->name);
            const std::string new_name = s.from_env ? env_var_name(key) : std::string(key.name);
            result_.warnings.push_back(old_name + " (" + where(s) +
                                       ") is deprecated: it is the old name of " + new_name +
                                       "; rename it (the old name still works for now)");
        }
    }

    // Legacy paths still answer until HubSpot turns them off, so they are accepted, but the
    // admin learns the date while there is time to act.
    void warn_about_retired_paths() {
        const HubSpotConfig& h = result_.config.hubspot;
        const std::string dated_token = endpoint_path(Endpoint::kOAuthToken, h.api_version);
        if (const Setting* s = setting(ConfigKey::kTokenUrl); s != nullptr) {
            if (const auto retired = retired_generation_of(h.token_url)) {
                result_.warnings.push_back(
                    "token_url " + h.token_url + " (" + where(*s) + ") uses HubSpot's legacy " +
                    std::string(retired->path_prefix) + " API, which stops working " +
                    retirement_date(retired->stops) +
                    ". hubsync still sends the code exchange and refreshes there as configured "
                    "(introspection and revocation already use " +
                    endpoint_path(Endpoint::kOAuthIntrospect, h.api_version) + " and " +
                    endpoint_path(Endpoint::kOAuthRevoke, h.api_version) +
                    "); remove token_url to use " + dated_token);
            }
        }
        if (const auto retired = retired_generation_of(h.api_base_url + "/")) {
            const Setting* s = setting(ConfigKey::kApiBaseUrl);
            result_.warnings.push_back(
                "api_base_url " + h.api_base_url + (s != nullptr ? " (" + where(*s) + ")" : "") +
                " includes the path " + std::string(retired->path_prefix) +
                " of HubSpot's legacy API, which stops working " + retirement_date(retired->stops) +
                "; api_base_url is only scheme, host and port (e.g. https://api.hubapi.com): "
                "hubsync adds the dated paths of api_version " +
                h.api_version + " itself");
        }
    }

    std::string path_;
    const Environment& env_;
    ConfigCheck result_;
    std::vector<std::pair<int, Error>> problems_;  // (order, problem)
    std::string text_;
    mode_t file_mode_ = 0;
    std::filesystem::path base_dir_{"."};
    std::string section_;
    bool section_ok_ = false;
    std::map<ConfigKey, Setting> settings_;
    std::map<std::string, Setting> type_settings_;  // properties.TYPE, by type
    std::string client_secret_file_;
    std::string access_token_file_;
    std::optional<Setting> inline_secret_;
    bool client_id_problem_ = false;  // already reported, so not "missing" as well
    bool secret_problem_ = false;
};

}  // namespace

Environment process_environment() {
    Environment env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return env;
}

std::string resolve_config_path(const std::string& cli_path, const Environment& env) {
    if (!cli_path.empty()) return cli_path;
    if (const auto it = env.find("HUBSYNC_CONFIG"); it != env.end() && !it->second.empty())
        return it->second;
    return kDefaultConfigPath;
}

Result<SecretFile> read_secret_file(const std::string& path, const std::string& what) {
    const FileContent file = read_file(path, kMaxSecretSize, true);
    if (!file.ok) {
        return make_error(ErrorKind::kConfig,
                          "cannot read " + what + " " + in_quotes(path) + ": " + file.problem,
                          file.error == EACCES
                              ? "make it readable by the user hubsync runs as (and nobody else)"
                              : "create it holding only the secret (chmod 600), or fix the path");
    }
    SecretFile secret;
    secret.value = std::string(trim(file.text));
    if (secret.value.empty())
        return make_error(ErrorKind::kConfig, what + " " + in_quotes(path) + " is empty",
                          "write the secret into it, on one line");
    if (std::any_of(secret.value.begin(), secret.value.end(), is_space))
        return make_error(ErrorKind::kConfig,
                          what + " " + in_quotes(path) + " holds more than one word or line",
                          "the file must hold only the secret");
    add_secret(secret.value);
    secret.private_to_owner = (file.mode & (S_IRWXG | S_IRWXO)) == 0;
    secret.mode = mode_string(file.mode);
    return secret;
}

ConfigCheck check_config(const std::string& path, const Environment& env) {
    return Loader(path, env).run();
}

Result<Config> load_config(const std::string& path, const Environment& env) {
    ConfigCheck check = check_config(path, env);
    if (!check.problems.empty()) return std::move(check.problems.front());
    return std::move(check.config);
}

}  // namespace hubsync
