// Escaping text for the small HTML pages hubsync and its simulator serve.
#pragma once

#include <string>
#include <string_view>

namespace hubsync {

// Escapes & < > " ' so `text` is safe inside element content and quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace hubsync
