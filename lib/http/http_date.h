// HTTP dates (RFC 9110 section 5.6.7), as a Retry-After header may carry them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace hubsync {

// Parses the three forms a recipient must accept: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
// GMT"), the obsolete RFC 850 form ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6
// 08:49:37 1994"). nullopt for anything else.
std::optional<Instant> parse_http_date(std::string_view text);

// IMF-fixdate, the form to send.
std::string format_http_date(Instant t);

}  // namespace hubsync
