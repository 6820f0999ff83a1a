// Time formatting and parsing for the simulator, written out by hand so the hot path never
// calls gmtime or allocates.
#include "sim/json_out.h"

#include "core/text.h"

namespace hubsync::sim {
namespace {

// Howard Hinnant's civil_from_days / days_from_civil.
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

void append_iso8601_ms(std::string& out, std::int64_t epoch_ms) {
    const std::int64_t days = floor_div(epoch_ms, 86'400'000);
    std::int64_t rem = epoch_ms - days * 86'400'000;
    int y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, y, m, d);
    char buf[24];
    const auto ms = static_cast<unsigned>(rem % 1000);
    rem /= 1000;
    const auto sec = static_cast<unsigned>(rem % 60);
    const auto min = static_cast<unsigned>((rem / 60) % 60);
    const auto hour = static_cast<unsigned>(rem / 3600);
    const auto uy = static_cast<unsigned>(y);
    put2(buf, uy / 100);
    put2(buf + 2, uy % 100);
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    buf[10] = 'T';
    put2(buf + 11, hour);
    buf[13] = ':';
    put2(buf + 14, min);
    buf[16] = ':';
    put2(buf + 17, sec);
    buf[19] = '.';
    buf[20] = static_cast<char>('0' + ms / 100);
    put2(buf + 21, ms % 100);
    buf[23] = 'Z';
    out.append(buf, 24);
}

void append_date(std::string& out, std::int64_t epoch_ms) {
    std::string tmp;
    append_iso8601_ms(tmp, epoch_ms);
    out.append(tmp, 0, 10);
}

void append_http_date(std::string& out, std::int64_t epoch_ms) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::int64_t days = floor_div(epoch_ms, 86'400'000);
    const std::int64_t secs = (epoch_ms - days * 86'400'000) / 1000;
    int y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, y, m, d);
    const std::int64_t weekday = ((days + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    char buf[8];
    out.append(kDays[weekday]).append(", ");
    put2(buf, d);
    out.append(buf, 2).append(" ").append(kMonths[m - 1]).append(" ");
    append_int(out, y);
    put2(buf, static_cast<unsigned>(secs / 3600));
    buf[2] = ':';
    put2(buf + 3, static_cast<unsigned>(secs / 60 % 60));
    buf[5] = ':';
    put2(buf + 6, static_cast<unsigned>(secs % 60));
    out.append(" ").append(buf, 8).append(" GMT");
}

bool parse_time_ms(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    bool all_digits = true;
    for (std::size_t i = 0; i < s.size(); ++i)
        all_digits = all_digits && ((s[i] >= '0' && s[i] <= '9') || (s[i] == '-' && i == 0));
    if (all_digits) {
        const auto ms = hubsync::parse_int<std::int64_t>(s);
        if (ms) out = *ms;
        return ms.has_value();
    }
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
    std::size_t pos = 10;
    if (pos < s.size()) {
        if (s[pos] != 'T' || !digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' ||
            !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
            return false;
        pos = 19;
        if (pos < s.size() && s[pos] == '.') {
            std::size_t n = 0;
            int frac = 0;
            ++pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (n < 3) frac = frac * 10 + (s[pos] - '0');
                ++n;
                ++pos;
            }
            if (n == 0) return false;
            for (std::size_t k = n; k < 3; ++k)
                frac *= 10;
            ms = frac;
        }
        if (pos < s.size() && s[pos] == 'Z') {
            ++pos;
        } else if (s.substr(pos) == "+00:00") {
            pos += 6;
        }
        if (pos != s.size()) return false;
    }
    const std::int64_t days =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    out = ((days * 24 + h) * 60 + mi) * 60'000 + sec * 1000 + ms;
    return true;
}

}  // namespace hubsync::sim
