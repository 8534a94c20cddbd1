# Debian packages through CPack: `cpack -G DEB` in a build tree gives
# edgevisor_<version>_<arch>.deb for the host (amd64) or a cross tree (arm64, armhf).
#
# dpkg-shlibdeps cannot resolve libraries inside a cross sysroot, so Depends is written by
# hand. cross/check-deb.sh (run by the `package` and `cross` tests) fails when a binary in a
# package needs a shared library whose Debian package is missing from this list: add it here
# when a target starts linking a new library (paho: libpaho-mqttpp3-1 libpaho-mqtt1.3,
# sdbus-c++: libsdbus-c++1, libsystemd0), and remove it when none does (check-deb.sh fails on
# an entry no binary needs). Names are the same on amd64, arm64 and armhf. With
# EDGEVISOR_STATIC_DEPS (the default, cmake/Dependencies.cmake) edgectl needs only glibc.
if(EDGEVISOR_STATIC_DEPS AND NOT EDGEVISOR_SANITIZE)
  set(EDGEVISOR_DEB_DEPENDS "libc6 (>= 2.36)")
else()
  set(EDGEVISOR_DEB_DEPENDS
      "libc6 (>= 2.36)"
      "libgcc-s1 (>= 12)"
      "libstdc++6 (>= 12)"
      "libyaml-cpp0.7"
      "libseccomp2 (>= 2.5)"
      "libcap2 (>= 1:2.66)"
      "libnettle8")
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
set(CPACK_PACKAGE_CONTACT "edgevisor maintainers <edgevisor@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "edgevisor reconciles YAML workload manifests into isolated, supervised processes\n(namespaces, cgroup v2, capabilities, seccomp) and reports to a fleet over MQTT.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${EDGEVISOR_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
list(JOIN EDGEVISOR_DEB_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)
include(CPack)
