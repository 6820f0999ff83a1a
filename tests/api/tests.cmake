# The API client's tests; the hubspot-sim round trips join when the simulator library exists.
if(TARGET hubsync_sim)
  hubsync_test(api hubsync_api hubsync_sim)
  target_compile_definitions(test_api PRIVATE HUBSYNC_HAVE_SIM=1)
else()
  hubsync_test(api hubsync_api)
endif()
# The decoder benchmark: not part of the test suite.
add_executable(bench_api_decode ${CMAKE_CURRENT_SOURCE_DIR}/api/bench_api_decode.cc)
target_link_libraries(bench_api_decode PRIVATE hubsync_api)
target_include_directories(bench_api_decode PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/api)
# The decoder fuzz target, for Clang builds: not part of the test suite.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # The decoder sources are compiled in again so libFuzzer's coverage instrumentation sees them.
  add_executable(fuzz_api_decode ${CMAKE_CURRENT_SOURCE_DIR}/api/fuzz_api_decode.cc
    ${PROJECT_SOURCE_DIR}/lib/api/decode.cc ${PROJECT_SOURCE_DIR}/lib/api/json_reader.cc)
  target_compile_options(fuzz_api_decode PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_api_decode PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_api_decode PRIVATE hubsync_core hubsync_http)
endif()
