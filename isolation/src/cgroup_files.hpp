// Small, allocation-light file access for cgroupfs, shared by the cgroup_*.cpp files.
// cgroupfs files are tiny and regenerated on every read, so one pread at offset 0 is a whole,
// consistent snapshot; writes are a single write(2) per value, as the kernel parses each write
// as one request.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation::detail {

// Stack buffer size for one cgroup file; io.stat with many devices may need more (read_file).
inline constexpr std::size_t kFileBuffer = 8192;
using FileBuffer = std::array<char, kFileBuffer>;

// openat(dir, name, O_RDONLY|O_CLOEXEC); an invalid UniqueFd with errno set on failure.
UniqueFd open_file(int dir_fd, const char* name, int flags = 0);

// One pread at offset 0 into buffer. Error EFBIG when the file is larger than the buffer.
Result<std::string_view> pread_view(int fd, std::span<char> buffer, std::string_view what);

// pread at offset 0 into a buffer grown (doubling) until the whole file fits, up to `limit`
// bytes (EFBIG beyond): for files whose size depends on the machine, such as io.stat (a line
// per block device). The view points into `buffer`.
Result<std::string_view> pread_growing(int fd, std::string& buffer, std::string_view what,
                                       std::size_t limit = std::size_t{1} << 20);

// Whole file into a string (any size); for rarely read files.
Result<std::string> read_file(int dir_fd, const char* name, const std::string& where);

// One write(2) of value to dir/name. The Error names the file, the value and the cgroup.
Status write_file(int dir_fd, const char* name, std::string_view value, const std::string& where);

Result<CgroupState> read_state(int events_fd);

// Polls cgroup.events (POLLPRI) until want(state) holds or the timeout passes (ETIMEDOUT).
// extra_fd, when >= 0, is polled for POLLIN too and ends the wait when readable (a pidfd).
// Returns true when want() held, false when extra_fd became readable first.
Result<bool> wait_state(int dir_fd, const std::string& where, std::chrono::milliseconds timeout,
                        const std::function<bool(const CgroupState&)>& want, int extra_fd = -1);

Result<std::vector<pid_t>> read_procs(int dir_fd, const std::string& where);

// Names of the child cgroup directories of dir_fd.
Result<std::vector<std::string>> child_cgroups(int dir_fd, const std::string& where);

}  // namespace edgevisor::isolation::detail
