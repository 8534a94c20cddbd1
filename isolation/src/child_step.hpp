// The steps a start can fail at, the parent's and the child's: one closed set with one name
// table (systemd's exit_status_mappings[] is the model). The names are stable: the README's
// "Start failures" table lists them and a unit test holds it to kSteps. A child-side step
// returns a StepResult: which step failed, its errno and the argument to name (a string the
// parent prepared). code == 0 means success. Plain pointers on purpose: the child must not
// allocate.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "edgevisor/error.hpp"

namespace edgevisor::isolation {

enum class Step : std::uint8_t {
    none,  // no failure
    user,
    group,
    rlimit,
    bind_source,
    mount_target,
    mount,
    rootfs,
    rootfs_stage,
    capabilities,
    seccomp,
    fds,
    clone,
    cgroup,
    cgroup_namespace,
    user_namespace,
    mount_propagation,
    pivot_root,
    rootfs_readonly,
    mount_proc,
    mount_dev,
    mount_sys,
    mount_bind,
    mount_tmpfs,
    mask_proc,
    hostname,
    loopback,
    setsid,
    drop_bounding,
    securebits,
    setgroups,
    setgid,
    setuid,
    pdeathsig,
    chdir,
    no_new_privs,
    execve,
    init,
    setns,
    launch,
    child_report,
};

// Indexed by Step: the name a user reads.
inline constexpr std::array<std::string_view, 41> kSteps{
    "",
    "user",
    "group",
    "rlimit",
    "bind_source",
    "mount_target",
    "mount",
    "rootfs",
    "rootfs_stage",
    "capabilities",
    "seccomp",
    "fds",
    "clone",
    "cgroup",
    "cgroup_namespace",
    "user_namespace",
    "mount_propagation",
    "pivot_root",
    "rootfs_readonly",
    "mount_proc",
    "mount_dev",
    "mount_sys",
    "mount_bind",
    "mount_tmpfs",
    "mask_proc",
    "hostname",
    "loopback",
    "setsid",
    "drop_bounding",
    "securebits",
    "setgroups",
    "setgid",
    "setuid",
    "pdeathsig",
    "chdir",
    "no_new_privs",
    "execve",
    "init",
    "setns",
    "launch",
    "child_report",
};
static_assert(kSteps.size() == static_cast<std::size_t>(Step::child_report) + 1,
              "one name per step");

constexpr std::string_view step_name(Step step) noexcept {
    const auto i = static_cast<std::size_t>(step);
    return i < kSteps.size() ? kSteps[i] : std::string_view("unknown");
}

// The one format of a start failure's step part: "<step>(<object>)", or "<step>" without an
// object; the launcher puts "<name>: start failed at " before it, Error::describe() the
// reason after it (strerror, when no `reason` text is given).
inline std::string step_text(Step step, std::string_view object) {
    std::string text(step_name(step));
    if (!object.empty()) text += "(" + std::string(object) + ")";
    return text;
}

// A failure of a parent-side step. With a `reason` the message says it (errno 0: an errno
// would explain nothing more); without one, describe() adds strerror(code).
inline std::unexpected<Error> fail_at(Step step, std::string_view object, int code,
                                      std::string_view reason = {}) {
    std::string message = step_text(step, object);
    if (!reason.empty()) message += ": " + std::string(reason);
    return std::unexpected(
        Error{std::string(step_name(step)), reason.empty() ? code : 0, std::move(message)});
}

struct StepResult {
    Step step = Step::none;
    int code = 0;
    const char* detail = nullptr;
    [[nodiscard]] bool ok() const noexcept { return code == 0; }
};

inline constexpr StepResult step_ok{};

// Formats "/proc/self/fd/<fd>" into buf without allocating (the child mounts through fds).
inline const char* fd_path(char (&buf)[32], int fd) noexcept {
    constexpr char prefix[] = "/proc/self/fd/";
    int i = 0;
    for (; prefix[i] != '\0'; ++i) buf[i] = prefix[i];
    char digits[12];
    int n = 0;
    unsigned value = static_cast<unsigned>(fd);
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0 && n < 11);
    while (n > 0) buf[i++] = digits[--n];
    buf[i] = '\0';
    return buf;
}

}  // namespace edgevisor::isolation
