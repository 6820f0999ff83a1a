// libFuzzer target for the response decoders (built with Clang only, not part of the tests):
//   fuzz_api_decode -max_total_time=60
// Every input must decode or fail with an error; never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    (void)hubsync::decode_record_page(body);
    (void)hubsync::decode_batch_read(body);
    (void)hubsync::decode_properties(body);
    (void)hubsync::decode_error_body(body);
    return 0;
}
