// What a restarted daemon needs to know about the workloads of its predecessor, kept in
// <paths.state>/workloads.json (rewritten atomically whenever a process starts or ends):
// which spec each cgroup runs (its hashes) and which process is its main one (pid and the
// kernel's start time of that pid, so a reused pid is never taken for it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "edgevisor/error.hpp"

namespace edgevisor::supervisor {

struct RunRecord {
    std::string name;
    std::string hash;
    std::string launch_hash;
    pid_t pid = 0;                 // 0: nothing runs
    std::uint64_t start_time = 0;  // /proc/<pid>/stat field 22 (clock ticks since boot)
    std::string boot_id;  // /proc/sys/kernel/random/boot_id: pids mean nothing across boots
    int stop_signal = 15;
    std::int64_t stop_timeout_ms = 10000;
    std::uint32_t restarts = 0;
};

using RunRecords = std::map<std::string, RunRecord>;

Result<RunRecords> read_run_records(const std::filesystem::path& file);
Status write_run_records(const std::filesystem::path& file, const RunRecords& records);

// /proc/<pid>/stat from field 3 (the state) on, or nullopt when the process is gone.
std::optional<std::string> proc_stat_fields(pid_t pid);
// The start time of a live process (field 22 of /proc/<pid>/stat), nullopt when it is gone.
std::optional<std::uint64_t> process_start_time(pid_t pid);
const std::string& current_boot_id();

}  // namespace edgevisor::supervisor
