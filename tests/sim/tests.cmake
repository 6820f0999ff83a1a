hubsync_test(sim hubsync_sim hubsync_core Poco::Net Poco::NetSSL Poco::Crypto Poco::JSON Poco::Foundation)
if(TARGET test_sim)
  add_dependencies(test_sim hubspot-sim)
endif()
