# Shared part of the cross toolchain files (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake).
# The including file sets EDGEVISOR_CROSS_TRIPLET, EDGEVISOR_DEB_ARCH, EDGEVISOR_QEMU and
# CMAKE_SYSTEM_PROCESSOR. Compilers: Debian's g++-<triplet>. Libraries: a sysroot of Debian
# -dev packages made by make-sysroot.sh (never foreign packages installed on the host).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${EDGEVISOR_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${EDGEVISOR_CROSS_TRIPLET}-g++)

# The sysroot: given (-DEDGEVISOR_SYSROOT=... or the environment), or built/reused now.
if(NOT EDGEVISOR_SYSROOT AND DEFINED ENV{EDGEVISOR_SYSROOT})
  set(EDGEVISOR_SYSROOT $ENV{EDGEVISOR_SYSROOT})
endif()
if(NOT EDGEVISOR_SYSROOT)
  execute_process(COMMAND ${CMAKE_CURRENT_LIST_DIR}/make-sysroot.sh ${EDGEVISOR_DEB_ARCH}
                  OUTPUT_VARIABLE sysroot_out RESULT_VARIABLE sysroot_rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT sysroot_rc EQUAL 0)
    message(FATAL_ERROR "cross: make-sysroot.sh ${EDGEVISOR_DEB_ARCH} failed (${sysroot_rc})")
  endif()
  string(REGEX REPLACE ".*\n" "" sysroot_out "${sysroot_out}")
  set(EDGEVISOR_SYSROOT ${sysroot_out} CACHE PATH "Sysroot for ${EDGEVISOR_CROSS_TRIPLET}")
endif()

set(CMAKE_SYSROOT ${EDGEVISOR_SYSROOT})
set(CMAKE_FIND_ROOT_PATH ${EDGEVISOR_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# try_compile projects re-read this file in a fresh scope: without passing the sysroot on,
# the armhf compiler checks silently used whichever sysroot came first.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGEVISOR_SYSROOT)

# pkg-config (libseccomp, libcap) must see only the target's .pc files, with paths prefixed.
set(ENV{PKG_CONFIG_LIBDIR}
    "${EDGEVISOR_SYSROOT}/usr/lib/${EDGEVISOR_CROSS_TRIPLET}/pkgconfig:${EDGEVISOR_SYSROOT}/usr/lib/pkgconfig:${EDGEVISOR_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${EDGEVISOR_SYSROOT})
set(ENV{PKG_CONFIG_PATH} "")

# Test binaries run under qemu-user with the sysroot's loader and libraries. env sets
# EDGEVISOR_EMULATED, which tests/support/skip.hpp reads to skip what qemu-user cannot do
# (loading seccomp filters, user namespaces, clone with namespace flags).
find_program(EDGEVISOR_QEMU_PATH ${EDGEVISOR_QEMU})
if(EDGEVISOR_QEMU_PATH)
  set(CMAKE_CROSSCOMPILING_EMULATOR env;EDGEVISOR_EMULATED=1;${EDGEVISOR_QEMU_PATH};-L;${EDGEVISOR_SYSROOT})
endif()
