// DecoderCore's error: what a decode that stopped early reports (see decoder_core.h).
#include "api/decoder_core.h"

#include <fmt/core.h>

namespace hubsync::decoding {

namespace {

bool looks_like_html(std::string_view body) {
    const auto start = body.find_first_not_of(" \t\r\n");
    return start != std::string_view::npos && body[start] == '<';
}

}  // namespace

Error DecoderCore::error() const {
    if (!shape_.empty() && !r_.failed() && well_formed(body_)) {
        return make_error(ErrorKind::kBadData,
                          fmt::format("unexpected {} from HubSpot: {}", what_, shape_),
                          "the response does not match HubSpot's documented format; "
                          "report it with the correlationId from the log");
    }
    std::string detail;
    if (looks_like_html(body_)) {
        detail = fmt::format("an HTML page ({} bytes) instead of JSON", body_.size());
    } else if (body_.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        detail = "an empty body";
    } else if (r_.failed()) {
        detail = "malformed JSON: " + r_.error();
    } else {
        JsonReader check(body_);
        check.skip_value();
        check.expect_end();
        detail = "malformed JSON: " + check.error();
    }
    return make_error(ErrorKind::kTransient,
                      fmt::format("HubSpot {} was {}; a truncated or non-JSON body usually "
                                  "means a broken connection or a proxy, so it is retried",
                                  what_, detail));
}

}  // namespace hubsync::decoding
