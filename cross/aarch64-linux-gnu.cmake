# Cross toolchain for arm64 (aarch64-linux-gnu): cmake -DCMAKE_TOOLCHAIN_FILE=cross/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(EDGEVISOR_CROSS_TRIPLET aarch64-linux-gnu)
set(EDGEVISOR_DEB_ARCH arm64)
set(EDGEVISOR_QEMU qemu-aarch64-static)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
