// Parsers for the text the kernel gives us about cgroups. Pure functions over string_views
// (no allocation except where a list is returned), unit-tested with fixed text.
#pragma once

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

}  // namespace edgevisor::isolation
