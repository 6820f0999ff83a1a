hubsync_test(mirror hubsync_mirror SQLite::SQLite3)
# Micro benchmark, not part of the test run: `bench_mirror [contacts] [properties]`.
add_executable(bench_mirror ${CMAKE_CURRENT_LIST_DIR}/bench_mirror.cc)
target_link_libraries(bench_mirror PRIVATE hubsync_mirror)
