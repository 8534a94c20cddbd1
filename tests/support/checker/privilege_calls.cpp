#include "privilege_calls.hpp"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/reboot.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace edgevisor::checker {
namespace {

// A successful call that returned an fd: close it and report success.
int fd_result(long fd) {
    if (fd < 0) return errno;
    ::close(static_cast<int>(fd));
    return 0;
}

int rc_result(long rc) {
    return rc < 0 ? errno : 0;
}

// PTRACE_ATTACH to a child of ours that is not tracing itself: "ptrace of another process".
int ptrace_child() {
    const pid_t child = ::fork();
    if (child < 0) return errno;
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    int err = 0;
    if (::ptrace(PTRACE_ATTACH, child, nullptr, nullptr) != 0) {
        err = errno;
    } else {
        ::waitpid(child, nullptr, 0);  // the attach stop
        ::ptrace(PTRACE_DETACH, child, nullptr, nullptr);
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    return err;
}

const std::map<std::string, int (*)()>& calls() {
    static const std::map<std::string, int (*)()> table{
        // Bad fd: EBADF when seccomp lets it through.
        {"setns", [] { return rc_result(::setns(-1, 0)); }},
        {"keyctl",
         [] {
             return rc_result(
                 ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
         }},
        {"add_key",
         [] {
             return rc_result(::syscall(SYS_add_key, "user", "edgevisor-checker", "x", 1,
                                        KEY_SPEC_PROCESS_KEYRING));
         }},
        // An invalid command: EINVAL (or EPERM from the kernel without CAP_BPF).
        {"bpf", [] { return rc_result(::syscall(SYS_bpf, 0x7fff, nullptr, 0)); }},
        // No attribute: EFAULT.
        {"perf_event_open",
         [] { return fd_result(::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0)); }},
        // User-mode-only faults need no privilege (Linux 5.11).
        {"userfaultfd",
         [] { return fd_result(::syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY)); }},
        // Unknown flag bit: EINVAL with CAP_SYS_BOOT (ENOSYS without kexec support); never
        // unloads or loads anything.
        {"kexec_load",
         [] { return rc_result(::syscall(SYS_kexec_load, 0, 0, nullptr, 0x8000UL)); }},
        // Empty image: ENOEXEC with CAP_SYS_MODULE (ENOSYS without module support).
        {"init_module", [] { return rc_result(::syscall(SYS_init_module, nullptr, 0, "")); }},
        // Wrong magic: EINVAL with CAP_SYS_BOOT; nothing reboots.
        {"reboot", [] { return rc_result(::syscall(SYS_reboot, 0, 0, 0, nullptr)); }},
        // Neither time nor zone: succeeds with CAP_SYS_TIME and changes nothing.
        {"settimeofday", [] { return rc_result(::syscall(SYS_settimeofday, nullptr, nullptr)); }},
        // No handle: EFAULT (or EBADF) with CAP_DAC_READ_SEARCH.
        {"open_by_handle_at",
         [] { return fd_result(::syscall(SYS_open_by_handle_at, -1, nullptr, O_RDONLY)); }},
        // Zero entries: EINVAL.
        {"io_uring_setup", [] { return fd_result(::syscall(SYS_io_uring_setup, 0, nullptr)); }},
        {"ptrace_child", ptrace_child},
        {"raw_socket",
         [] { return fd_result(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)); }},
        // uname() is what a kill-process rule in the tests names.
        {"uname", [] { return rc_result(::syscall(SYS_uname, nullptr)); }},
    };
    return table;
}

}  // namespace

int privilege_call(const std::string& name) {
    auto it = calls().find(name);
    if (it == calls().end()) {
        std::fprintf(stderr, "unknown privilege call %s\n", name.c_str());
        std::exit(2);
    }
    return it->second();
}

}  // namespace edgevisor::checker
