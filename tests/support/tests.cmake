# Pieces shared by the sync tests and the chaos command.
add_library(hubsync_truth_check STATIC ${CMAKE_CURRENT_SOURCE_DIR}/support/truth_check.cc)
target_include_directories(hubsync_truth_check PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hubsync_truth_check PUBLIC hubsync_sim hubsync_mirror Poco::JSON
  Poco::Foundation)
