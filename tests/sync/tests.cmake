hubsync_test(sync hubsync_sync hubsync_sim hubsync_truth_check hubsync_oauth SQLite::SQLite3 Poco::JSON Poco::Foundation)
add_dependencies(test_sync hubsync)
