hubsync_test(api hubsync_api)
# The decoder benchmark: not part of the test suite.
add_executable(bench_api_decode ${CMAKE_CURRENT_SOURCE_DIR}/api/bench_api_decode.cc)
target_link_libraries(bench_api_decode PRIVATE hubsync_api)
target_include_directories(bench_api_decode PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/api)
