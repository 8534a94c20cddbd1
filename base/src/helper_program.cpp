#include "edgevisor/helper_program.hpp"

#include <unistd.h>

#include <filesystem>

namespace edgevisor {

std::string helper_program(const std::string& name) {
    std::error_code error;
    const auto dir = std::filesystem::read_symlink("/proc/self/exe", error).parent_path();
    if (error) return "/usr/libexec/edgevisor/" + name;
    const auto beside = dir / name;
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
    return (dir.parent_path() / "libexec/edgevisor" / name).lexically_normal().string();
}

}  // namespace edgevisor
