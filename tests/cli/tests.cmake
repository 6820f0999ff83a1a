# The CLI tests run the real hubsync executable, so it must be built first; the static-token
# tests run it against the in-process simulator.
hubsync_test(cli hubsync_sim hubsync_model hubsync_core SQLite::SQLite3 Poco::Net Poco::JSON Poco::Foundation)
if(TARGET test_cli)
  add_dependencies(test_cli hubsync)
endif()
