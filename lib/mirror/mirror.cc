// What every mirror implementation shares: the naming of per-type sync state.
#include "mirror/mirror.h"

namespace hubsync {

std::string state_key(const ObjectType& type, std::string_view key) {
    std::string out = type.table;
    out += '.';
    out += key;
    return out;
}

}  // namespace hubsync
