#include "chaos.h"

namespace hubsync::chaos {

Outcome run_faults(const Options&) {
    Outcome o;
    o.fail("not written yet");
    return o;
}

}  // namespace hubsync::chaos
