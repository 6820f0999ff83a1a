// SystemClock, ManualClock, StopSource and ISO-8601 helpers.
#include "core/clock.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <thread>

namespace hubsync {

void StopSource::request_stop() {
    {
        std::lock_guard lock(mu_);
        stop_.store(true, std::memory_order_release);
        ++generation_;
    }
    cv_.notify_all();
}

void StopSource::notify() {
    {
        std::lock_guard lock(mu_);
        ++generation_;
    }
    cv_.notify_all();
}

std::uint64_t StopSource::generation() const {
    std::lock_guard lock(mu_);
    return generation_;
}

bool StopSource::wait_until(std::chrono::steady_clock::time_point deadline,
                            std::optional<std::uint64_t> since) {
    std::unique_lock lock(mu_);
    const auto start_generation = since.value_or(generation_);
    const bool woken = cv_.wait_until(lock, deadline, [&] {
        return stop_.load(std::memory_order_acquire) || generation_ != start_generation;
    });
    return !woken;
}

std::int64_t Clock::now_ms() const {
    return to_epoch_ms(now());
}

Instant SystemClock::now() const {
    return std::chrono::system_clock::now();
}

bool SystemClock::sleep_until(Instant deadline, StopSource* stop) {
    const auto remaining = deadline - std::chrono::system_clock::now();
    if (remaining <= Instant::duration::zero()) return !(stop && stop->stop_requested());
    const auto steady_deadline =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining);
    if (stop == nullptr) {
        std::this_thread::sleep_until(steady_deadline);
        return true;
    }
    if (stop->stop_requested()) return false;
    return stop->wait_until(steady_deadline);
}

bool SystemClock::sleep_until_since(Instant deadline, StopSource& stop, std::uint64_t generation) {
    if (stop.stop_requested() || stop.generation() != generation) return false;
    const auto remaining = deadline - std::chrono::system_clock::now();
    if (remaining <= Instant::duration::zero()) return true;
    return stop.wait_until(
        std::chrono::steady_clock::now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining),
        generation);
}

SystemClock& SystemClock::instance() {
    static SystemClock clock;
    return clock;
}

ManualClock::ManualClock(Instant start) : now_(start) {}

Instant ManualClock::default_start() {
    return from_epoch_ms(1767225600000LL);
}

Instant ManualClock::now() const {
    std::lock_guard lock(mu_);
    return now_;
}

bool ManualClock::sleep_until(Instant deadline, StopSource* stop) {
    if (stop && stop->stop_requested()) return false;
    std::lock_guard lock(mu_);
    if (deadline > now_) {
        slept_ += std::chrono::duration_cast<Millis>(deadline - now_);
        now_ = deadline;
    }
    return true;
}

void ManualClock::advance(Millis d) {
    std::lock_guard lock(mu_);
    now_ += d;
}

void ManualClock::set(Instant t) {
    std::lock_guard lock(mu_);
    now_ = t;
}

Millis ManualClock::slept() const {
    std::lock_guard lock(mu_);
    return slept_;
}

std::int64_t to_epoch_ms(Instant t) {
    return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

Instant from_epoch_ms(std::int64_t ms) {
    return Instant(Millis(ms));
}

std::string format_iso8601(Instant t) {
    const std::int64_t ms = to_epoch_ms(t);
    std::int64_t secs = ms / 1000;
    int millis = static_cast<int>(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        secs -= 1;
    }
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

namespace {

bool read_int(std::string_view& s, std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    const auto* begin = s.data();
    const auto [ptr, ec] = std::from_chars(begin, begin + digits, out);
    if (ec != std::errc() || ptr != begin + digits) return false;
    s.remove_prefix(digits);
    return true;
}

bool expect(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

}  // namespace

bool parse_iso8601(std::string_view s, Instant& out) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
    if (!read_int(s, 4, year) || !expect(s, '-') || !read_int(s, 2, month) || !expect(s, '-') ||
        !read_int(s, 2, day))
        return false;
    int offset_minutes = 0;
    if (!s.empty()) {
        if (s.front() != 'T' && s.front() != ' ') return false;
        s.remove_prefix(1);
        if (!read_int(s, 2, hour) || !expect(s, ':') || !read_int(s, 2, minute)) return false;
        if (!s.empty() && s.front() == ':') {
            s.remove_prefix(1);
            if (!read_int(s, 2, second)) return false;
        }
        if (!s.empty() && s.front() == '.') {
            s.remove_prefix(1);
            std::size_t n = 0;
            int scale = 100;
            while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
                if (n < 3) millis += (s.front() - '0') * scale;
                scale /= 10;
                ++n;
                s.remove_prefix(1);
            }
            if (n == 0) return false;
        }
        if (s == "Z" || s == "z") {
            s.remove_prefix(1);
        } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
            const int sign = s.front() == '-' ? -1 : 1;
            s.remove_prefix(1);
            int oh = 0, om = 0;
            if (!read_int(s, 2, oh)) return false;
            if (!s.empty() && s.front() == ':') s.remove_prefix(1);
            if (!read_int(s, 2, om)) return false;
            offset_minutes = sign * (oh * 60 + om);
        }
        if (!s.empty()) return false;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return false;
    const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                          std::chrono::day(day)};
    if (!ymd.ok()) return false;
    const auto days = std::chrono::sys_days(ymd);
    out = Instant(days) + std::chrono::hours(hour) + std::chrono::minutes(minute - offset_minutes) +
          std::chrono::seconds(second) + Millis(millis);
    return true;
}

}  // namespace hubsync
