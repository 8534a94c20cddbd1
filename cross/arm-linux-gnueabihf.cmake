# Cross toolchain for armhf (arm-linux-gnueabihf): cmake -DCMAKE_TOOLCHAIN_FILE=cross/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_PROCESSOR arm)
set(EDGEVISOR_CROSS_TRIPLET arm-linux-gnueabihf)
set(EDGEVISOR_DEB_ARCH armhf)
set(EDGEVISOR_QEMU qemu-arm-static)
# GCC notes on every std::vector<T>::iterator argument that its passing "changed in GCC 7.1":
# an ABI note about code built before 2017, irrelevant here, and noise that buries warnings.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
