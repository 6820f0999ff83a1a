// format_status_line(): the STATUS= summary.
#include "service/status_line.h"

#include <fmt/core.h>

#include <vector>

#include "core/redact.h"

namespace hubsync {
namespace {

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) out += sep;
        out += part;
    }
    return out;
}

std::string single_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return text;
}

Millis until(Instant from, Instant to) {
    return std::chrono::duration_cast<Millis>(to - from);
}

}  // namespace

std::string format_age(Millis d) {
    using std::chrono::duration_cast;
    if (d < Millis::zero()) d = Millis::zero();
    const long long secs = duration_cast<Seconds>(d).count();
    if (secs < 60) return fmt::format("{}s", secs);
    const long long mins = secs / 60;
    if (mins < 60) return fmt::format("{}m", mins);
    const long long hours = mins / 60;
    if (hours < 48) {
        return mins % 60 ? fmt::format("{}h{:02}m", hours, mins % 60) : fmt::format("{}h", hours);
    }
    const long long days = hours / 24;
    return hours % 24 ? fmt::format("{}d{}h", days, hours % 24) : fmt::format("{}d", days);
}

std::string format_count(std::int64_t n) {
    const bool negative = n < 0;
    std::string digits = std::to_string(negative ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return negative ? "-" + out : out;
}

std::string format_status_line(const StatusLineInput& in) {
    std::vector<std::string> state;
    if (in.syncing) {
        state.push_back(in.sync_progress >= 0 ? fmt::format("syncing ({} contacts so far)",
                                                            format_count(in.sync_progress))
                                              : "syncing");
    }
    if (in.last_sync) {
        state.push_back(fmt::format("last sync {} ago", format_age(until(*in.last_sync, in.now))));
    } else if (!in.syncing) {
        state.push_back("no sync yet");
    }
    if (in.contacts >= 0) state.push_back(fmt::format("{} contacts", format_count(in.contacts)));
    if (in.next_sync && !in.syncing && in.problem.empty()) {
        state.push_back(fmt::format("next sync in {}", format_age(until(in.now, *in.next_sync))));
    }
    if (in.static_token) {
        state.push_back("static access token");
    } else if (in.token_expires_at) {
        const Millis left = until(in.now, *in.token_expires_at);
        state.push_back(left > Millis::zero() ? fmt::format("token valid {}", format_age(left))
                                              : std::string("token expired"));
    }

    std::string line;
    if (!in.problem.empty()) {
        line = in.problem;
        if (in.retry_at) {
            line += fmt::format(" (retry in {})", format_age(until(in.now, *in.retry_at)));
        }
        if (!state.empty()) line += "; " + join(state, ", ");
    } else {
        line = join(state, ", ");
    }
    line = single_line(redact(line));
    if (line.size() > kMaxStatusLine) {
        std::size_t cut = kMaxStatusLine - 3;
        // Never cut a UTF-8 sequence in half.
        while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80)
            --cut;
        line.resize(cut);
        line += "...";
    }
    return line;
}

}  // namespace hubsync
