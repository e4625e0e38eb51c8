# packaging.cmake: `cmake --install` layout and the Debian package (CPack, DEB generator):
#   cmake --build build && (cd build && cpack -G DEB)   ->  build/rdslocal_<version>_amd64.deb
# Layout under the prefix (/usr in the package): bin/rdslocal, bin/rdslocal-aws,
# lib/rdslocal/rdslocal_guard.so (the supervisor looks there, beside ../lib/rdslocal/ of its
# binary: engine/supervisor/sv_guard.c), share/man/man8/rdslocal.8.gz, and the systemd unit
# in /lib/systemd/system (installed, not enabled: nothing in the package starts it).
include(GNUInstallDirs)
install(TARGETS rdslocal RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/rdslocal-aws DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS rdslocal_guard LIBRARY DESTINATION lib/rdslocal)

# Man pages ship gzip-compressed (Debian policy); -n keeps the archive byte-stable.
set(_man_gz ${CMAKE_BINARY_DIR}/rdslocal.8.gz)
add_custom_command(OUTPUT ${_man_gz}
  COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/docs/rdslocal.8 > ${_man_gz}
  DEPENDS ${CMAKE_SOURCE_DIR}/docs/rdslocal.8 VERBATIM)
add_custom_target(rdslocal_man ALL DEPENDS ${_man_gz})
install(FILES ${_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
# The unit's path is Debian's (/lib/systemd/system), whatever the prefix.
install(FILES ${CMAKE_SOURCE_DIR}/docs/rdslocal.service DESTINATION /lib/systemd/system)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rdslocal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "rdslocal maintainers <rdslocal@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "local emulator of the Amazon RDS control plane")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "local emulator of the Amazon RDS control plane
 rdslocal answers the Amazon RDS API (Query, as the AWS CLI, boto3, the JS SDK and
 Terraform send it) on a local port; every DB instance is a real PostgreSQL server.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)
# Shared libraries (libmicrohttpd12, libsqlite3-0, libssl3, libpq5, libc6) with the
# versions dpkg-shlibdeps reads off the binaries; the PostgreSQL server is a program, not
# a library: the guard module loads only into the major it was built for, so that major's
# server package is required.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "postgresql-${RDSLOCAL_GUARD_PG_MAJOR}")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "awscli, postgresql-client")
# Reproducible file order inside the package.
set(CPACK_DEBIAN_ARCHIVE_TYPE gnutar)
include(CPack)
