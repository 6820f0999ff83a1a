// A small, strict JSON pull parser for HubSpot response pages: no DOM, no exceptions, zero
// copies for strings without escapes, and bounds-checked so malformed input only yields errors.
#pragma once

#include "core/json_string.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace hubsync {

// Reads one JSON document front to back. Every method returns false (and latches failed())
// on malformed or truncated input; once failed, every later call returns false too, so a
// decoder can check failed() once at the end of a block.
//
// Objects:  begin_object(); while (next_key(key)) { ...read or skip the value... }
// Arrays:   begin_array();  while (next_element()) { ...read or skip the value... }
// next_key / next_element return false at the closing bracket (consumed) and on error.
class JsonReader final {
  public:
    enum class Type { kObject, kArray, kString, kNumber, kBool, kNull, kEnd, kInvalid };

    explicit JsonReader(std::string_view text) : text_(text) {}

    // The type of the next value, from its first character (whitespace skipped).
    Type peek();

    bool begin_object();
    // The next member's key. The view stays valid until the next call on this reader.
    bool next_key(std::string_view& key);
    bool begin_array();
    bool next_element();

    // Appends nothing: `out` is replaced by the decoded string.
    bool read_string(std::string& out);
    // A view of the decoded string: into the input when it has no escapes, else into a buffer
    // owned by the reader (valid until the next call).
    bool read_string_view(std::string_view& out);
    // The number's text exactly as written (validated against the JSON grammar).
    bool read_number(std::string_view& out);
    bool read_bool(bool& out);
    bool read_null();
    // Skips one value of any type, nested up to kMaxDepth levels.
    bool skip_value();
    // Skips one value and returns its raw JSON text.
    bool raw_value(std::string_view& out);
    // True when only whitespace is left.
    bool at_end();
    // Like at_end(), but latches a "trailing data" error when something else follows.
    bool expect_end();

    bool failed() const { return failed_; }
    std::size_t offset() const { return pos_; }
    // What went wrong and where, e.g. "expected ':' at byte 17".
    std::string error() const;

    static constexpr int kMaxDepth = 64;

  private:
    bool fail(const char* what);
    // Compact JSON has no whitespace between tokens: test one byte inline, loop out of line.
    void skip_ws() {
        if (pos_ < text_.size() && static_cast<unsigned char>(text_[pos_]) <= ' ') skip_ws_slow();
    }
    void skip_ws_slow();
    bool consume(char c, const char* what);
    bool parse_string(std::string_view& out);
    bool decode_escaped(std::size_t start, std::string_view& out);
    bool skip_value_at(int depth);
    bool literal(std::string_view word);

    std::string_view text_;
    std::size_t pos_ = 0;
    bool failed_ = false;
    bool first_ = false;  // set by begin_*, consumed by the first next_*
    const char* what_ = "";
    std::size_t error_pos_ = 0;
    std::string scratch_;
};

}  // namespace hubsync
