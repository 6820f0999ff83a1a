// JsonReader: the pull parser behind the response decoders, and JSON string escaping for
// request bodies.
#include "api/json_reader.h"

#include <cstdint>
#include <cstring>

namespace hubsync {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

constexpr std::uint32_t kReplacementChar = 0xFFFD;

}  // namespace

bool JsonReader::fail(const char* what) {
    if (!failed_) {
        failed_ = true;
        what_ = what;
        error_pos_ = pos_;
    }
    return false;
}

std::string JsonReader::error() const {
    if (!failed_) return {};
    std::string out = what_;
    out += " at byte ";
    out += std::to_string(error_pos_);
    out += " of ";
    out += std::to_string(text_.size());
    return out;
}

void JsonReader::skip_ws_slow() {
    while (pos_ < text_.size()) {
        const char c = text_[pos_];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
        ++pos_;
    }
}

bool JsonReader::consume(char c, const char* what) {
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    if (text_[pos_] != c) return fail(what);
    ++pos_;
    return true;
}

JsonReader::Type JsonReader::peek() {
    if (failed_) return Type::kInvalid;
    skip_ws();
    if (pos_ >= text_.size()) return Type::kEnd;
    switch (text_[pos_]) {
        case '{':
            return Type::kObject;
        case '[':
            return Type::kArray;
        case '"':
            return Type::kString;
        case 't':
        case 'f':
            return Type::kBool;
        case 'n':
            return Type::kNull;
        case '-':
            return Type::kNumber;
        default:
            return is_digit(text_[pos_]) ? Type::kNumber : Type::kInvalid;
    }
}

bool JsonReader::begin_object() {
    if (failed_) return false;
    if (!consume('{', "expected '{'")) return false;
    first_ = true;
    return true;
}

bool JsonReader::begin_array() {
    if (failed_) return false;
    if (!consume('[', "expected '['")) return false;
    first_ = true;
    return true;
}

bool JsonReader::next_key(std::string_view& key) {
    if (failed_) return false;
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input inside an object");
    const bool first = first_;
    first_ = false;
    if (text_[pos_] == '}') {
        ++pos_;
        return false;
    }
    if (!first && !consume(',', "expected ',' or '}'")) return false;
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input inside an object");
    if (text_[pos_] != '"') return fail("expected a member name");
    if (!parse_string(key)) return false;
    return consume(':', "expected ':'");
}

bool JsonReader::next_element() {
    if (failed_) return false;
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input inside an array");
    const bool first = first_;
    first_ = false;
    if (text_[pos_] == ']') {
        ++pos_;
        return false;
    }
    if (!first && !consume(',', "expected ',' or ']'")) return false;
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input inside an array");
    return true;
}

bool JsonReader::parse_string(std::string_view& out) {
    // Precondition: text_[pos_] == '"'. memchr finds the closing quote and any backslash
    // before it in two vectorised scans; most HubSpot values have no escapes at all.
    const std::size_t start = pos_ + 1;
    const char* data = text_.data();
    const std::size_t size = text_.size();
    const void* quote = start < size ? std::memchr(data + start, '"', size - start) : nullptr;
    const std::size_t end =
        quote ? static_cast<std::size_t>(static_cast<const char*>(quote) - data) : size;
    const void* backslash = std::memchr(data + start, '\\', end - start);
    if (backslash) {
        pos_ = static_cast<std::size_t>(static_cast<const char*>(backslash) - data);
        return decode_escaped(start, out);
    }
    if (!quote) {
        pos_ = size;
        return fail("unterminated string");
    }
    out = text_.substr(start, end - start);
    pos_ = end + 1;
    return true;
}

bool JsonReader::decode_escaped(std::size_t start, std::string_view& out) {
    // pos_ is at the first backslash; everything from start to pos_ is literal.
    scratch_.assign(text_.data() + start, pos_ - start);
    const std::size_t size = text_.size();
    std::size_t i = pos_;
    while (i < size) {
        const char c = text_[i];
        if (c == '"') {
            pos_ = i + 1;
            out = scratch_;
            return true;
        }
        if (c != '\\') {
            // Copy the literal run up to the next quote or backslash in one go.
            std::size_t j = i + 1;
            while (j < size && text_[j] != '"' && text_[j] != '\\')
                ++j;
            scratch_.append(text_.data() + i, j - i);
            i = j;
            continue;
        }
        if (i + 1 >= size) break;
        const char e = text_[i + 1];
        i += 2;
        switch (e) {
            case '"':
                scratch_ += '"';
                break;
            case '\\':
                scratch_ += '\\';
                break;
            case '/':
                scratch_ += '/';
                break;
            case 'b':
                scratch_ += '\b';
                break;
            case 'f':
                scratch_ += '\f';
                break;
            case 'n':
                scratch_ += '\n';
                break;
            case 'r':
                scratch_ += '\r';
                break;
            case 't':
                scratch_ += '\t';
                break;
            case 'u': {
                auto read_hex4 = [&](std::size_t at, std::uint32_t& v) {
                    if (at + 4 > size) return false;
                    v = 0;
                    for (std::size_t k = 0; k < 4; ++k) {
                        const int d = hex_digit(text_[at + k]);
                        if (d < 0) return false;
                        v = (v << 4) | static_cast<std::uint32_t>(d);
                    }
                    return true;
                };
                std::uint32_t cp = 0;
                if (!read_hex4(i, cp)) {
                    pos_ = i;
                    return fail("bad \\u escape");
                }
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    // A high surrogate pairs with an immediately following \uDC00-\uDFFF.
                    std::uint32_t low = 0;
                    if (i + 1 < size && text_[i] == '\\' && text_[i + 1] == 'u' &&
                        read_hex4(i + 2, low) && low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    } else {
                        cp = kReplacementChar;
                    }
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    cp = kReplacementChar;  // a lone low surrogate has no UTF-8 form
                }
                append_utf8(scratch_, cp);
                break;
            }
            default:
                pos_ = i - 1;
                return fail("bad escape in string");
        }
    }
    pos_ = size;
    return fail("unterminated string");
}

bool JsonReader::read_string(std::string& out) {
    std::string_view v;
    if (!read_string_view(v)) return false;
    out.assign(v.data(), v.size());
    return true;
}

bool JsonReader::read_string_view(std::string_view& out) {
    if (failed_) return false;
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    if (text_[pos_] != '"') return fail("expected a string");
    return parse_string(out);
}

bool JsonReader::read_number(std::string_view& out) {
    if (failed_) return false;
    skip_ws();
    const std::size_t size = text_.size();
    const std::size_t start = pos_;
    std::size_t i = pos_;
    if (i < size && text_[i] == '-') ++i;
    if (i >= size || !is_digit(text_[i])) return fail("expected a number");
    if (text_[i] == '0') {
        ++i;
    } else {
        while (i < size && is_digit(text_[i]))
            ++i;
    }
    if (i < size && text_[i] == '.') {
        ++i;
        if (i >= size || !is_digit(text_[i])) {
            pos_ = i;
            return fail("bad number");
        }
        while (i < size && is_digit(text_[i]))
            ++i;
    }
    if (i < size && (text_[i] == 'e' || text_[i] == 'E')) {
        ++i;
        if (i < size && (text_[i] == '+' || text_[i] == '-')) ++i;
        if (i >= size || !is_digit(text_[i])) {
            pos_ = i;
            return fail("bad number");
        }
        while (i < size && is_digit(text_[i]))
            ++i;
    }
    out = text_.substr(start, i - start);
    pos_ = i;
    return true;
}

bool JsonReader::literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("bad literal");
    pos_ += word.size();
    return true;
}

bool JsonReader::read_bool(bool& out) {
    if (failed_) return false;
    skip_ws();
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    if (text_[pos_] == 't') {
        out = true;
        return literal("true");
    }
    if (text_[pos_] == 'f') {
        out = false;
        return literal("false");
    }
    return fail("expected true or false");
}

bool JsonReader::read_null() {
    if (failed_) return false;
    skip_ws();
    return literal("null");
}

bool JsonReader::skip_value() {
    return skip_value_at(0);
}

bool JsonReader::skip_value_at(int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    switch (peek()) {
        case Type::kObject: {
            if (!begin_object()) return false;
            std::string_view key;
            while (next_key(key))
                if (!skip_value_at(depth + 1)) return false;
            return !failed_;
        }
        case Type::kArray: {
            if (!begin_array()) return false;
            while (next_element())
                if (!skip_value_at(depth + 1)) return false;
            return !failed_;
        }
        case Type::kString: {
            std::string_view s;
            return parse_string(s);
        }
        case Type::kNumber: {
            std::string_view n;
            return read_number(n);
        }
        case Type::kBool: {
            bool b = false;
            return read_bool(b);
        }
        case Type::kNull:
            return read_null();
        case Type::kEnd:
            return fail("unexpected end of input");
        case Type::kInvalid:
            return fail("unexpected character");
    }
    return fail("unexpected character");
}

bool JsonReader::raw_value(std::string_view& out) {
    if (failed_) return false;
    skip_ws();
    const std::size_t start = pos_;
    if (!skip_value()) return false;
    out = text_.substr(start, pos_ - start);
    return true;
}

bool JsonReader::at_end() {
    if (failed_) return false;
    skip_ws();
    return pos_ == text_.size();
}

bool JsonReader::expect_end() {
    if (at_end()) return true;
    return fail("trailing data after the JSON document");
}

}  // namespace hubsync
