# End-to-end tests: the real hubsync and hubspot-sim executables run as child processes.
hubsync_test(e2e hubsync_sim hubsync_core SQLite::SQLite3 Poco::JSON Poco::Foundation)
add_dependencies(test_e2e hubsync hubspot-sim)
