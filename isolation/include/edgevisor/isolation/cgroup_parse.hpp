// The text formats of cgroupfs and procfs, both ways: parsers for what the kernel gives us
// (pure functions over string_views, no allocation except where a list is returned) and the
// rendering of manifest limits into cgroup file values. Unit-tested with fixed text.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/cgroup.hpp"

namespace edgevisor::isolation {

// Mount point of the first cgroup2 filesystem in /proc/self/mountinfo text. nullopt: none
// (a cgroup v1-only host). Octal escapes (\040 for a space) are decoded.
std::optional<std::string> parse_cgroup2_mount_point(std::string_view mountinfo);

// True when mountinfo shows cgroup v1 hierarchies (for a better error on v1-only hosts).
bool mountinfo_has_cgroup_v1(std::string_view mountinfo);

// The cgroup v2 path ("0::<path>") in /proc/self/cgroup text; nullopt when absent.
std::optional<std::string> parse_own_cgroup(std::string_view proc_self_cgroup);

// Flat-keyed files ("key value" per line).
CpuStat parse_cpu_stat(std::string_view text);
MemoryEvents parse_memory_events(std::string_view text);
CgroupState parse_cgroup_events(std::string_view text);

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per line.
std::vector<IoStatEntry> parse_io_stat(std::string_view text);

// PSI: a "some ..." line and, except for cpu.pressure on old kernels, a "full ..." line.
Result<Pressure> parse_pressure(std::string_view text);

// A single unsigned number ("1234\n"); "max" is not a number here.
Result<std::uint64_t> parse_u64_file(std::string_view text);

// Whitespace-separated words (cgroup.controllers, cgroup.subtree_control).
std::vector<std::string> parse_word_list(std::string_view text);

// ---- limits -> cgroup files ----------------------------------------------------------------

// One write that Cgroup::apply() performs.
struct CgroupSetting {
    std::string file;        // "cpu.max"
    std::string value;       // "50000 100000"
    std::string controller;  // "cpu": the controller that provides the file
    bool requested = false;  // set by the manifest; false: reset to the kernel default
};

using DeviceResolver = std::function<Result<std::string>(const std::string& path)>;

// Every limit file of cpu, cpuset, memory, pids and io with its value: the manifest's value
// where it sets one, else the kernel default ("max", weight 100, empty cpuset) so that a
// limit removed from the manifest is lifted in place. io.max gets one setting per device.
Result<std::vector<CgroupSetting>> render_limits(
    const manifests::Resources& resources, const DeviceResolver& resolve = resolve_block_device);

}  // namespace edgevisor::isolation
