// Writing JSON strings: the one escaper for every JSON the engine produces (request bodies,
// the mirror's `properties` column).
#pragma once

#include <string>
#include <string_view>

namespace hubsync {

// Appends `text` as a quoted JSON string: quotes, backslashes and control characters escaped,
// every other byte (UTF-8 included) copied as is.
void append_json_string(std::string& out, std::string_view text);

}  // namespace hubsync
