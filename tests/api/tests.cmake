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
