// systemd's notification protocol, received from workloads (sd_notify(3)): one datagram of
// newline-separated KEY=VALUE assignments on $NOTIFY_SOCKET. What we act on:
//   READY=1          the workload is ready (a notify startup/readiness probe passes)
//   STATUS=text      shown as the workload's message
//   WATCHDOG=1       a keep-alive ping (a notify liveness probe fails without one per watchdog)
//   WATCHDOG=trigger the workload asks to be treated as failed at once
//   WATCHDOG_USEC=n  the workload changes its watchdog period
//   STOPPING=1       it is shutting down: not ready any more
// Other keys (MAINPID, RELOADING, ERRNO, FDSTORE, ...) are ignored, like unknown ones.
//
// Only datagrams whose sender is in the workload's cgroup count: the socket has SO_PASSCRED,
// the kernel attaches the sender's pid (translated to our pid namespace), and its
// /proc/<pid>/cgroup must lie at or below the workload's cgroup.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::health {

inline constexpr std::size_t kNotifyDatagramMax = 4096;
inline constexpr std::size_t kNotifyStatusMax = 256;

struct NotifyMessage {
    bool ready = false;
    bool stopping = false;
    bool watchdog_ping = false;
    bool watchdog_trigger = false;
    std::optional<std::uint64_t> watchdog_usec;
    std::optional<std::string> status;  // control characters replaced by '?', bounded
};

// Parses one datagram. An empty datagram, one with NUL bytes or larger than
// kNotifyDatagramMax is an error (step "notify"); unknown keys and malformed values of keys we
// do not use are ignored, malformed values of keys we use are errors.
Result<NotifyMessage> parse_notify(std::string_view datagram);

// True when /proc/<pid>/cgroup text puts the process at or below `cgroup` (a path relative
// to the cgroup2 mount, "/edgevisor/workloads/db"): "0::/edgevisor/workloads/db/x" is below,
// "0::/edgevisor/workloads/db2" is not.
bool cgroup_contains(std::string_view proc_pid_cgroup, std::string_view cgroup);

// A bound, non-blocking, close-on-exec AF_UNIX datagram socket with SO_PASSCRED at `path`
// (an existing file there is replaced), mode 0666 so a workload of any uid may send.
Result<UniqueFd> open_notify_socket(const std::string& path);

struct NotifyDatagram {
    std::string text;
    pid_t sender = 0;  // from SCM_CREDENTIALS; 0 when the kernel attached none
    // Passed fds (we keep no fd store). Held until the datagram is dropped: systemd-notify
    // sends BARRIER=1 with one and waits until it is closed, so it is still alive (and its
    // cgroup readable) while we check it.
    std::vector<UniqueFd> fds;
};

// One pending datagram; nullopt when none is pending (EAGAIN). Truncated datagrams are
// returned with text cut at kNotifyDatagramMax + 1 bytes so parse_notify refuses them.
Result<std::optional<NotifyDatagram>> receive_notify(int fd);

// Whether `sender` lies in `cgroup` now (reads /proc/<sender>/cgroup once).
bool sender_in_cgroup(pid_t sender, std::string_view cgroup);

}  // namespace edgevisor::health
