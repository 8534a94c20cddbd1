# Debian packages through CPack: `cpack -G DEB` in a build tree gives
# edgevisor_<version>_<arch>.deb for the host (amd64) or a cross tree (arm64, armhf).
#
# dpkg-shlibdeps cannot resolve libraries inside a cross sysroot, so Depends is written by
# hand. cross/check-deb.sh (run by the `package` and `cross` tests) fails when a binary in a
# package needs a shared library whose Debian package is missing from this list: add it here
# when a target starts linking a new library (paho: libpaho-mqttpp3-1 libpaho-mqtt1.3, libssl3,
# sdbus-c++: libsdbus-c++1, libsystemd0), and remove it when none does (check-deb.sh fails on
# an entry no binary needs). Names are the same on amd64, arm64 and armhf. With
# EDGEVISOR_STATIC_DEPS (the default, cmake/Dependencies.cmake) edgectl needs only glibc.
# edgectl-dbus (edgectl's D-Bus commands) links sdbus-c++, a shared C++ library, and so the
# shared libstdc++ whatever EDGEVISOR_STATIC_DEPS says. So do edgectl-fleet and edgevisord for
# Paho MQTT C++ (the fleet channel).
set(EDGEVISOR_DEB_DBUS_DEPENDS "libsdbus-c++1 (>= 1.2)" "libsystemd0" "libstdc++6 (>= 12)"
    "libgcc-s1 (>= 12)")
# libssl3: the fleet channel checks its TLS files with OpenSSL itself (telemetry/mqtt).
set(EDGEVISOR_DEB_MQTT_DEPENDS "libpaho-mqttpp3-1 (>= 1.2)" "libpaho-mqtt1.3 (>= 1.3)"
    "libssl3 (>= 3.0)")
if(EDGEVISOR_STATIC_DEPS AND NOT EDGEVISOR_SANITIZE)
  set(EDGEVISOR_DEB_DEPENDS "libc6 (>= 2.36)" ${EDGEVISOR_DEB_DBUS_DEPENDS}
      ${EDGEVISOR_DEB_MQTT_DEPENDS})
else()
  set(EDGEVISOR_DEB_DEPENDS
      "libc6 (>= 2.36)"
      "libgcc-s1 (>= 12)"
      "libstdc++6 (>= 12)"
      "libyaml-cpp0.7"
      "libseccomp2 (>= 2.5)"
      "libcap2 (>= 1:2.66)"
      "libnettle8"
      "libsdbus-c++1 (>= 1.2)"
      "libsystemd0"
      ${EDGEVISOR_DEB_MQTT_DEPENDS})
endif()

# The architecture: the cross toolchain files set EDGEVISOR_DEB_ARCH; natively ask dpkg.
if(NOT EDGEVISOR_DEB_ARCH)
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE EDGEVISOR_DEB_ARCH
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(NOT EDGEVISOR_DEB_ARCH)
  set(EDGEVISOR_DEB_ARCH amd64)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgevisor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "edgevisor")
# example.org (RFC 2606): the project has no mail domain yet; lintian refuses localhost.
set(CPACK_PACKAGE_CONTACT "edgevisor maintainers <edgevisor@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "edgevisor reconciles YAML workload manifests into isolated, supervised\nprocesses (namespaces, cgroup v2, capabilities, seccomp) and reports to a\nfleet over MQTT and to the local machine over D-Bus. edgevisord runs as a\nsystemd service at boot; edgectl is its command line.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${EDGEVISOR_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
list(JOIN EDGEVISOR_DEB_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)
# The maintainer scripts enable edgevisord on install and start it only where systemd runs
# (deb-systemd-helper / deb-systemd-invoke, as dh_installsystemd writes them; both come with
# init-system-helpers, which is Essential); purge removes the daemon's state and logs.
# A package without the unit (before the daemon existed) has nothing for them to do.
set(deb_dir ${PROJECT_SOURCE_DIR}/cmake/deb)
set(systemd_dir ${PROJECT_SOURCE_DIR}/systemd)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${deb_dir}/conffiles)
if(EXISTS ${systemd_dir}/edgevisord.service)
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${deb_dir}/postinst ${deb_dir}/prerm
       ${deb_dir}/postrm)
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# What the package holds besides the programs (their own install() rules put them in bin/).
# The boot service and its bus policy come from systemd/ when the daemon and the D-Bus
# interface provide them.
install(FILES ${systemd_dir}/edgevisor.yaml DESTINATION /etc/edgevisor)
install(DIRECTORY DESTINATION /etc/edgevisor/manifests.d)
install(FILES ${systemd_dir}/edgevisor.tmpfiles DESTINATION lib/tmpfiles.d RENAME edgevisor.conf)
install(FILES ${systemd_dir}/edgevisor.sysusers DESTINATION lib/sysusers.d RENAME edgevisor.conf)
if(EXISTS ${systemd_dir}/edgevisord.service)
  install(FILES ${systemd_dir}/edgevisord.service DESTINATION /lib/systemd/system)
endif()
file(GLOB bus_policies ${systemd_dir}/*.conf)
install(FILES ${bus_policies} DESTINATION share/dbus-1/system.d)
file(GLOB bus_interfaces ${PROJECT_SOURCE_DIR}/telemetry/dbus/*.xml)
install(FILES ${bus_interfaces} DESTINATION share/dbus-1/interfaces)

# Debian's documentation files: copyright, a native changelog (gzip -n: reproducible), the
# lintian overrides, and the example manifests.
set(doc share/doc/edgevisor)
configure_file(${deb_dir}/changelog.in ${PROJECT_BINARY_DIR}/deb/changelog @ONLY)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/deb/changelog.gz
                   COMMAND gzip -n -9 -k -f ${PROJECT_BINARY_DIR}/deb/changelog
                   DEPENDS ${PROJECT_BINARY_DIR}/deb/changelog VERBATIM)
add_custom_target(edgevisor_deb_docs ALL DEPENDS ${PROJECT_BINARY_DIR}/deb/changelog.gz)
install(FILES ${deb_dir}/copyright ${PROJECT_BINARY_DIR}/deb/changelog.gz DESTINATION ${doc})
install(FILES ${deb_dir}/lintian-overrides DESTINATION share/lintian/overrides RENAME edgevisor)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${doc}/examples
        FILES_MATCHING PATTERN "*.yaml")
