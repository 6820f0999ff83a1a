# What `cmake --install` places besides the binaries (the units, sysusers.d and tmpfiles.d
# entries, the example configuration) and the Debian package built by `cpack -G DEB`.
#
# Paths follow the prefix at install time, so one build serves both a package (prefix /usr:
# units under /usr/lib/systemd/system, configuration in /etc/hubsync) and a trial install
# into a scratch prefix (everything below that prefix).

set(HUBSYNC_UNITS hubsync.service hubsync@.service)

# The units name the binary as /usr/bin/hubsync; under another prefix they must name the
# installed one, which is only known at install time.
install(CODE "
  set(_hubsync_bin \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/hubsync\")
  foreach(_unit ${HUBSYNC_UNITS})
    file(READ \"${PROJECT_SOURCE_DIR}/systemd/\${_unit}\" _text)
    string(REPLACE \"/usr/bin/hubsync\" \"\${_hubsync_bin}\" _text \"\${_text}\")
    file(WRITE \"${PROJECT_BINARY_DIR}/systemd/\${_unit}\" \"\${_text}\")
  endforeach()
" COMPONENT hubsync)
foreach(unit IN LISTS HUBSYNC_UNITS)
  install(FILES ${PROJECT_BINARY_DIR}/systemd/${unit}
          DESTINATION lib/systemd/system PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
          COMPONENT hubsync)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/systemd/hubsync.sysusers
        DESTINATION lib/sysusers.d RENAME hubsync.conf COMPONENT hubsync)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/hubsync.tmpfiles
        DESTINATION lib/tmpfiles.d RENAME hubsync.conf COMPONENT hubsync)
install(FILES ${PROJECT_SOURCE_DIR}/README.md OPTIONAL
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/hubsync COMPONENT hubsync)

# The example configuration goes to /etc/hubsync when the prefix is /usr (the FHS place, and
# a conffile in the package), else to PREFIX/etc/hubsync. An existing file is an admin's
# configuration: it is kept, and the example is placed beside it.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(_hubsync_etc \"/etc/hubsync\")
  else()
    set(_hubsync_etc \"\${CMAKE_INSTALL_PREFIX}/etc/hubsync\")
  endif()
  set(_hubsync_conf \"${PROJECT_SOURCE_DIR}/etc/hubsync.conf\")
  if(NOT EXISTS \"\${_hubsync_conf}\")
    message(FATAL_ERROR \"etc/hubsync.conf is missing from the source tree\")
  endif()
  if(EXISTS \"\$ENV{DESTDIR}\${_hubsync_etc}/hubsync.conf\")
    message(STATUS \"Keeping \$ENV{DESTDIR}\${_hubsync_etc}/hubsync.conf; the example goes to hubsync.conf.example\")
    file(INSTALL DESTINATION \"\${_hubsync_etc}\" TYPE FILE RENAME hubsync.conf.example
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"\${_hubsync_conf}\")
  else()
    file(INSTALL DESTINATION \"\${_hubsync_etc}\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"\${_hubsync_conf}\")
  endif()
" COMPONENT hubsync)

# The Debian package.
set(CPACK_PACKAGE_NAME hubsync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SQLite mirror of HubSpot CRM contacts, kept current by a systemd service")
set(CPACK_PACKAGE_DESCRIPTION
    "hubsync keeps a local SQLite database in step with the contacts of a HubSpot portal:\n\
a complete first copy, then incremental syncs on a schedule, with deletions and merges\n\
followed. Reporting tools read the database while the service writes to it.\n\
The package also contains hubspot-sim, a HubSpot simulator for trying hubsync out.")
set(CPACK_PACKAGE_CONTACT "hubsync maintainers <hubsync@localhost>")
set(CPACK_GENERATOR DEB)
# Install with the real prefix into a staging DESTDIR, so /etc and the unit paths come out
# as on the target system.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://developers.hubspot.com/docs/api/crm/contacts")
# Library dependencies come from dpkg-shlibdeps (POCO, fmt, SQLite, OpenSSL, libstdc++);
# systemd provides systemd-sysusers and systemd-tmpfiles for the maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/conffiles ${PROJECT_BINARY_DIR}/debian/conffiles COPYONLY)
foreach(script postinst prerm postrm)
  file(COPY ${CMAKE_CURRENT_LIST_DIR}/debian/${script} DESTINATION ${PROJECT_BINARY_DIR}/debian
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles
    ${PROJECT_BINARY_DIR}/debian/postinst
    ${PROJECT_BINARY_DIR}/debian/prerm
    ${PROJECT_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
