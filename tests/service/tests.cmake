hubsync_test(service hubsync_service hubsync_sim)

# The Debian package, built with cpack and inspected with dpkg-deb. Labelled `package`
# (about ten seconds): `ctest -L package` runs it alone, `ctest -LE package` skips it.
find_program(HUBSYNC_CPACK cpack)
find_program(HUBSYNC_DPKG_DEB dpkg-deb)
if(HUBSYNC_CPACK AND HUBSYNC_DPKG_DEB AND TARGET hubsync)
  add_test(NAME service_deb_package
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/service/check_deb.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(service_deb_package PROPERTIES LABELS package TIMEOUT 600)
endif()
