// The shared core of the response decoders (api/decode.cc, api/crm_links_api.cc): a JsonReader
// with the first shape problem remembered, and the error a decode that stopped early reports.
// A body that is not well-formed JSON (truncated, an HTML page from a proxy, empty) is
// kTransient; well-formed JSON of the wrong shape is kBadData. Private to lib/api.
#pragma once

#include <string>
#include <string_view>

#include "api/json_reader.h"
#include "core/result.h"

namespace hubsync::decoding {

// Shortens a value quoted in an error message.
inline std::string excerpt(std::string_view text) {
    constexpr std::size_t kMax = 40;
    if (text.size() <= kMax) return std::string(text);
    return std::string(text.substr(0, kMax)) + "...";
}

// Tracks the first semantic problem while a JsonReader tracks syntax.
class DecoderCore {
  public:
    using Type = JsonReader::Type;

    DecoderCore(std::string_view body, const char* what) : body_(body), r_(body), what_(what) {}

    JsonReader& reader() { return r_; }

    bool shape(std::string message) {
        if (shape_.empty()) shape_ = std::move(message);
        return false;
    }

    // The error for a decode that stopped early. A shape problem in a body that is also not
    // well-formed JSON is reported as the syntax problem: the body was probably cut short.
    Error error() const;

    static bool well_formed(std::string_view body) {
        JsonReader check(body);
        return check.skip_value() && check.expect_end();
    }

    // Call after the top-level value: only whitespace may follow.
    bool finish() {
        if (r_.failed() || !shape_.empty()) return false;
        return r_.expect_end();
    }

    // Begins the top-level object, classifying a non-object body.
    bool begin_document() {
        const Type t = r_.peek();
        if (t == Type::kObject) return r_.begin_object();
        if (t == Type::kEnd || t == Type::kInvalid) {
            r_.skip_value();  // latches the syntax error
            return false;
        }
        // Well-formed but not an object: validate it first so a truncated array is transient.
        if (!r_.skip_value()) return false;
        return shape("the body is not a JSON object");
    }

  protected:
    std::string_view body_;
    JsonReader r_;
    const char* what_;
    std::string shape_;
};

}  // namespace hubsync::decoding
