# The chaos command (not part of the unit tests): scripts/chaos.sh runs it in full; the test
# below runs the reduced size, which is what CI runs.
add_executable(hubsync-chaos ${CMAKE_CURRENT_SOURCE_DIR}/chaos/main.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/chaos/workspace.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/chaos/kills.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/chaos/faults.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/chaos/disk_full.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/chaos/readers.cc)
target_link_libraries(hubsync-chaos PRIVATE hubsync_truth_check hubsync_oauth hubsync_mirror
  hubsync_sim hubsync_core SQLite::SQLite3 Poco::JSON Poco::Foundation)
target_include_directories(hubsync-chaos PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(hubsync-chaos PRIVATE HUBSYNC_BINARY_DIR="${PROJECT_BINARY_DIR}")
add_dependencies(hubsync-chaos hubsync)
add_test(NAME chaos.reduced COMMAND hubsync-chaos --reduced --seed 1)
set_tests_properties(chaos.reduced PROPERTIES TIMEOUT 600 LABELS chaos)
