// HTTP date parsing and formatting without the C library's locale-dependent strptime.
#include "http/http_date.h"

#include <array>
#include <charconv>
#include <chrono>

#include <fmt/core.h>

namespace hubsync {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// A small cursor over the text; every read fails (and keeps failing) on a mismatch.
class Scanner {
  public:
    explicit Scanner(std::string_view text) : text_(text) {}

    bool ok() const { return ok_; }
    bool done() const { return ok_ && pos_ == text_.size(); }

    void literal(std::string_view expected) {
        if (ok_ && text_.substr(pos_, expected.size()) == expected)
            pos_ += expected.size();
        else
            ok_ = false;
    }
    void spaces() {  // one or more
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] == ' ')
            ++pos_;
        if (pos_ == start) ok_ = false;
    }
    int number(std::size_t min_digits, std::size_t max_digits) {
        std::size_t n = 0;
        while (pos_ + n < text_.size() && n < max_digits && text_[pos_ + n] >= '0' &&
               text_[pos_ + n] <= '9')
            ++n;
        int v = 0;
        if (!ok_ || n < min_digits) {
            ok_ = false;
            return 0;
        }
        std::from_chars(text_.data() + pos_, text_.data() + pos_ + n, v);
        pos_ += n;
        return v;
    }
    int month() {
        for (std::size_t i = 0; i < kMonths.size(); ++i) {
            if (ok_ && text_.substr(pos_, 3) == kMonths[i]) {
                pos_ += 3;
                return static_cast<int>(i) + 1;
            }
        }
        ok_ = false;
        return 0;
    }
    // A day name: the three-letter form, or the full one when `full`.
    void day_name(bool full) {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && ((text_[pos_] >= 'a' && text_[pos_] <= 'z') ||
                                       (text_[pos_] >= 'A' && text_[pos_] <= 'Z')))
            ++pos_;
        const std::string_view name = text_.substr(start, pos_ - start);
        bool known = false;
        for (std::string_view d : kDays)
            known = known || (full ? name.size() > 3 && name.substr(0, 3) == d : name == d);
        if (!known) ok_ = false;
    }
    void time(int& h, int& m, int& s) {
        h = number(2, 2);
        literal(":");
        m = number(2, 2);
        literal(":");
        s = number(2, 2);
    }

  private:
    std::string_view text_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

std::optional<Instant> make_instant(int year, int month, int day, int h, int m, int s) {
    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year(year),
                             std::chrono::month(static_cast<unsigned>(month)),
                             std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok() || h > 23 || m > 59 || s > 60) return std::nullopt;
    return Instant(sys_days(ymd)) + hours(h) + minutes(m) + seconds(s);
}

std::optional<Instant> parse_imf_fixdate(std::string_view text) {
    Scanner in(text);
    in.day_name(false);
    in.literal(", ");
    const int day = in.number(2, 2);
    in.literal(" ");
    const int month = in.month();
    in.literal(" ");
    const int year = in.number(4, 4);
    in.literal(" ");
    int h = 0, m = 0, s = 0;
    in.time(h, m, s);
    in.literal(" GMT");
    if (!in.done()) return std::nullopt;
    return make_instant(year, month, day, h, m, s);
}

std::optional<Instant> parse_rfc850(std::string_view text) {
    Scanner in(text);
    in.day_name(true);
    in.literal(", ");
    const int day = in.number(2, 2);
    in.literal("-");
    const int month = in.month();
    in.literal("-");
    int year = in.number(2, 2);
    in.literal(" ");
    int h = 0, m = 0, s = 0;
    in.time(h, m, s);
    in.literal(" GMT");
    if (!in.done()) return std::nullopt;
    // RFC 9110: a two-digit year more than 50 years in the future means the past century.
    year += year < 70 ? 2000 : 1900;
    return make_instant(year, month, day, h, m, s);
}

std::optional<Instant> parse_asctime(std::string_view text) {
    Scanner in(text);
    in.day_name(false);
    in.literal(" ");
    const int month = in.month();
    in.spaces();
    const int day = in.number(1, 2);
    in.literal(" ");
    int h = 0, m = 0, s = 0;
    in.time(h, m, s);
    in.literal(" ");
    const int year = in.number(4, 4);
    if (!in.done()) return std::nullopt;
    return make_instant(year, month, day, h, m, s);
}

}  // namespace

std::optional<Instant> parse_http_date(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    if (auto t = parse_imf_fixdate(text)) return t;
    if (auto t = parse_rfc850(text)) return t;
    return parse_asctime(text);
}

std::string format_http_date(Instant t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const sys_days days = floor<std::chrono::days>(secs);
    const year_month_day ymd(days);
    const hh_mm_ss hms(secs - days);
    const weekday wd(days);
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[wd.c_encoding()],
                       static_cast<unsigned>(ymd.day()),
                       kMonths[static_cast<unsigned>(ymd.month()) - 1],
                       static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count(),
                       hms.seconds().count());
}

}  // namespace hubsync
