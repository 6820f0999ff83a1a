// Typed-column conversions, timestamp normalization and JSON string escaping for the mirror.
#include "mirror/values.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

#include "core/clock.h"
#include "core/text.h"
#include "mirror/mirror.h"

namespace hubsync {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Epoch milliseconds as HubSpot sends them: an optional minus and digits, nothing else.
bool parse_epoch_ms(std::string_view s, std::int64_t& out) {
    if (s.size() > 16) return false;
    const auto ms = parse_int<std::int64_t>(s);
    if (ms) out = *ms;
    return ms.has_value();
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" already: the common case, kept as is without reformatting.
bool is_canonical_timestamp(std::string_view s) {
    if (s.size() != 24) return false;
    for (std::size_t i = 0; i < 24; ++i) {
        const char c = s[i];
        switch (i) {
            case 4:
            case 7:
                if (c != '-') return false;
                break;
            case 10:
                if (c != 'T') return false;
                break;
            case 13:
            case 16:
                if (c != ':') return false;
                break;
            case 19:
                if (c != '.') return false;
                break;
            case 23:
                if (c != 'Z') return false;
                break;
            default:
                if (!is_digit(c)) return false;
        }
    }
    return true;
}

bool to_instant(std::string_view raw, Instant& out) {
    const std::string_view s = trim(raw);
    std::int64_t ms = 0;
    if (parse_epoch_ms(s, ms)) {
        out = from_epoch_ms(ms);
        return true;
    }
    return parse_iso8601(s, out);
}

}  // namespace

std::optional<double> mirror_number(std::string_view raw) {
    std::string_view s = trim(raw);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    double v = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<bool> mirror_bool(std::string_view raw) {
    const std::string_view s = trim(raw);
    auto equals_ci = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char c = a[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (c != b[i]) return false;
        }
        return true;
    };
    if (equals_ci(s, "true")) return true;
    if (equals_ci(s, "false")) return false;
    return std::nullopt;
}

std::optional<std::string> mirror_date(std::string_view raw, bool date_only) {
    std::string out;
    if (!mirror_values::normalize_date(raw, date_only, out)) return std::nullopt;
    return out;
}

namespace mirror_values {

bool normalize_timestamp(std::string_view raw, std::string& out) {
    if (is_canonical_timestamp(raw)) {
        out.assign(raw);
        return true;
    }
    Instant t;
    if (!to_instant(raw, t)) return false;
    out = format_iso8601(t);
    return true;
}

bool normalize_date(std::string_view raw, bool date_only, std::string& out) {
    if (!normalize_timestamp(trim(raw), out)) return false;
    if (date_only) out.resize(10);  // the UTC day of a normalized timestamp
    return true;
}

ValueKind value_kind_for(std::string_view type) {
    if (type == "number") return ValueKind::kNumber;
    if (type == "bool") return ValueKind::kBool;
    if (type == "date") return ValueKind::kDate;
    if (type == "datetime") return ValueKind::kDateTime;
    return ValueKind::kText;
}

std::string_view column_type_for(std::string_view type) {
    switch (value_kind_for(type)) {
        case ValueKind::kNumber:
            return "REAL";
        case ValueKind::kBool:
            return "INTEGER";
        default:
            return "TEXT";
    }
}

}  // namespace mirror_values
}  // namespace hubsync
