# Third-party libraries, as targets edgevisor::<name> that the libraries link.
#
# `edgectl run` starts a process per launch, and its start-up CPU is a product figure (README
# "Performance"): every shared library costs mapping and symbol relocation (libstdc++ and
# libspdlog alone were about 3,000 bindings per run). So by default:
#   - libseccomp, libcap, nettle and yaml-cpp come from their static archives (Debian's -dev
#     packages ship them, for every architecture we cross-build);
#   - spdlog and fmt are compiled in (spdlog in one file: base/src/log.cpp);
#   - edgectl links libstdc++ and libgcc statically (edgevisor_static_runtime below).
# What is left is glibc. libseccomp (LGPL-2.1) and nettle (LGPL-3) linked statically: our
# complete source is public, so anyone can relink against another version (LGPL-2.1 §6).
# -DEDGEVISOR_STATIC_DEPS=OFF links them shared.
option(EDGEVISOR_STATIC_DEPS "Link libseccomp, libcap, nettle, yaml-cpp (and libstdc++ into edgectl) statically" ON)

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
# SHA-256 (canonical hash, seccomp cache): no config/provider start-up cost, unlike OpenSSL.
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET nettle)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)

# edgevisor::<name>: the static archive lib<library>.a with the shared target's include
# directories, or the shared target itself.
function(edgevisor_dependency name shared_target library)
  add_library(edgevisor_dep_${name} INTERFACE)
  add_library(edgevisor::${name} ALIAS edgevisor_dep_${name})
  if(NOT EDGEVISOR_STATIC_DEPS)
    target_link_libraries(edgevisor_dep_${name} INTERFACE ${shared_target})
    return()
  endif()
  find_library(EDGEVISOR_STATIC_${name} NAMES lib${library}.a)
  if(NOT EDGEVISOR_STATIC_${name})
    message(FATAL_ERROR "lib${library}.a not found (its Debian -dev package ships it); "
                        "or configure with -DEDGEVISOR_STATIC_DEPS=OFF")
  endif()
  get_target_property(includes ${shared_target} INTERFACE_INCLUDE_DIRECTORIES)
  if(includes)
    target_include_directories(edgevisor_dep_${name} SYSTEM INTERFACE ${includes})
  endif()
  target_link_libraries(edgevisor_dep_${name} INTERFACE ${EDGEVISOR_STATIC_${name}})
endfunction()

edgevisor_dependency(seccomp PkgConfig::SECCOMP seccomp)
edgevisor_dependency(libcap PkgConfig::LIBCAP cap)
edgevisor_dependency(nettle PkgConfig::NETTLE nettle)
edgevisor_dependency(yaml_cpp yaml-cpp yaml-cpp)

# fmt header-only everywhere (its header costs little to compile); spdlog header-only in the
# one file that includes it (it costs about 5 s of compile per file, so nothing else may).
add_library(edgevisor_dep_fmt INTERFACE)
add_library(edgevisor::fmt ALIAS edgevisor_dep_fmt)
target_link_libraries(edgevisor_dep_fmt INTERFACE fmt::fmt-header-only)
add_library(edgevisor_dep_spdlog INTERFACE)
add_library(edgevisor::spdlog ALIAS edgevisor_dep_spdlog)
get_target_property(spdlog_includes spdlog::spdlog_header_only INTERFACE_INCLUDE_DIRECTORIES)
target_include_directories(edgevisor_dep_spdlog SYSTEM INTERFACE ${spdlog_includes})
target_compile_definitions(edgevisor_dep_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
target_link_libraries(edgevisor_dep_spdlog INTERFACE fmt::fmt-header-only Threads::Threads)

# For programs whose start-up time counts (edgectl): libstdc++ and libgcc linked in. Such a
# program must not also load a shared C++ library (two libstdc++ in one process); use C APIs
# there (e.g. sd-bus, not sdbus-c++). Not under the sanitizers: ASan replaces operator new
# only where libstdc++ is shared.
function(edgevisor_static_runtime target)
  if(EDGEVISOR_STATIC_DEPS AND NOT EDGEVISOR_SANITIZE)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc -Wl,--gc-sections)
  endif()
endfunction()

# The local bus: sdbus-c++ (a shared C++ library: programs linking it use the shared
# libstdc++, never edgevisor_static_runtime) and libsystemd for sd_bus_path_encode.
find_package(sdbus-c++ REQUIRED)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
