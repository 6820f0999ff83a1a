// ASCII case folding and trimming.
#include "core/text.h"

namespace hubsync {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n\v\f";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::optional<std::string_view> state_field(std::string_view text, std::string_view name) {
    for (std::size_t at = text.find(';'); at != std::string_view::npos;
         at = text.find(';', at + 1)) {
        const std::string_view rest = text.substr(at + 1);
        if (rest.size() > name.size() && rest.substr(0, name.size()) == name &&
            rest[name.size()] == '=') {
            const std::string_view value = rest.substr(name.size() + 1);
            return value.substr(0, value.find(';'));
        }
    }
    return std::nullopt;
}

}  // namespace hubsync
