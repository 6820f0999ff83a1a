# hubspot-sim targets: the simulator library, the executable and the speed benchmark.
add_library(hubsync_sim STATIC
  account_routes.cc
  admin_routes.cc
  association_routes.cc
  associations.cc
  crm_routes.cc
  generators.cc
  json_out.cc
  oauth_routes.cc
  object_schemas.cc
  owners.cc
  pipelines.cc
  portal.cc
  record_store.cc
  simulator.cc
)
target_include_directories(hubsync_sim PUBLIC ${PROJECT_SOURCE_DIR}/lib ${PROJECT_SOURCE_DIR})
target_link_libraries(hubsync_sim PUBLIC hubsync_core hubsync_model
  PRIVATE Poco::Net Poco::NetSSL Poco::JSON Poco::Foundation)

add_executable(hubspot-sim main.cc)
target_link_libraries(hubspot-sim PRIVATE hubsync_sim Poco::Foundation)
install(TARGETS hubspot-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Not part of the test run: measures contacts/s served and memory per contact.
add_executable(bench_sim bench_sim.cc)
target_link_libraries(bench_sim PRIVATE hubsync_sim Poco::Net Poco::Foundation)
