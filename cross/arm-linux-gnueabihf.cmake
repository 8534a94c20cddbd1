# Cross toolchain for armhf (arm-linux-gnueabihf): cmake -DCMAKE_TOOLCHAIN_FILE=cross/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_PROCESSOR arm)
set(EDGEVISOR_CROSS_TRIPLET arm-linux-gnueabihf)
set(EDGEVISOR_DEB_ARCH armhf)
set(EDGEVISOR_QEMU qemu-arm-static)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
