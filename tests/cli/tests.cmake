# The CLI tests run the real hubsync executable, so it must be built first.
hubsync_test(cli hubsync_core)
if(TARGET test_cli)
  add_dependencies(test_cli hubsync)
endif()
