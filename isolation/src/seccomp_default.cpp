// Our `default` seccomp profile: an allow list modelled on Docker's default profile (moby's
// profiles/seccomp/default.json, the 2025 version with AF_ALG refused), for workloads that are
// ordinary programs. The README's tables are written from this file: keep them in step.
//
// Three answers, so that a program can tell them apart:
//   - allowed: the calls of kAllowed, the conditional rules below (clone, socket, personality)
//     and the capability groups whose capability the workload is granted;
//   - EPERM: the known-dangerous calls (kRefused, the capability groups without their
//     capability, clone/socket/personality arguments outside the allowed ones);
//   - ENOSYS, the default: every other call, above all the ones newer than this table. A program
//     then sees what an older kernel would say, and libc falls back (clone3 -> clone, as
//     Docker arranges it too).
#include <sched.h>
#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <set>
#include <string_view>

#include "seccomp_policy.hpp"

namespace edgevisor::isolation::seccomp_detail {

namespace {

using manifests::SeccompAction;
using manifests::SeccompActionKind;
using manifests::SeccompOp;

// Docker's unconditional allow list, less the names that libseccomp 2.5.4 does not know
// (kRaw below has those it allows; statmount and listmount are left out on purpose: see
// kRaw). Names that an ABI lacks are skipped for it, so the arch-only calls of Docker's
// conditional entries (arch_prctl, modify_ldt on x86; the arm_* calls, breakpoint, cacheflush,
// set_tls on arm) are simply listed here.
constexpr auto kAllowed = std::to_array<std::string_view>({
    "_llseek",
    "_newselect",
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "get_robust_list",
    "get_thread_area",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "io_setup",
    "io_submit",
    "ioctl",
    "ioprio_get",
    "ioprio_set",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "set_robust_list",
    "set_thread_area",
    "set_tid_address",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "setsid",
    "setsockopt",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
    // Docker's per-architecture entries.
    "arch_prctl",
    "modify_ldt",
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "sync_file_range2",
    "breakpoint",
    "cacheflush",
    "set_tls",
});

// Docker's includes.caps entries: a workload granted the capability may make these calls;
// without it they fail with EPERM (the kernel would refuse most of them anyway: the filter
// keeps their code out of reach). A call in two groups is opened by either.
struct CapabilityGroup {
    std::string_view capability;
    std::vector<std::string_view> names;
};

const std::array kCapabilityGroups{
    CapabilityGroup{"CAP_SYS_ADMIN",
                    {"bpf",         "fanotify_init",   "fsconfig", "fsmount",       "fsopen",
                     "fspick",      "lookup_dcookie",  "mount",    "mount_setattr", "move_mount",
                     "open_tree",   "perf_event_open", "quotactl", "quotactl_fd",   "setdomainname",
                     "sethostname", "setns",           "syslog",   "umount",        "umount2",
                     "unshare"}},
    CapabilityGroup{"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    CapabilityGroup{"CAP_SYS_BOOT", {"reboot"}},
    CapabilityGroup{"CAP_SYS_CHROOT", {"chroot"}},
    CapabilityGroup{"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    CapabilityGroup{"CAP_SYS_PACCT", {"acct"}},
    // Docker also allows ptrace and process_vm_* to every workload on Linux 4.8+. Not here: a
    // workload without the pid namespace would reach the host's processes of its uid.
    CapabilityGroup{"CAP_SYS_PTRACE",
                    {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                     "process_vm_writev", "ptrace"}},
    CapabilityGroup{"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    CapabilityGroup{"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    CapabilityGroup{"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    CapabilityGroup{"CAP_SYS_NICE",
                    {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    CapabilityGroup{"CAP_SYSLOG", {"syslog"}},
    CapabilityGroup{"CAP_BPF", {"bpf"}},
    CapabilityGroup{"CAP_PERFMON", {"perf_event_open"}},
};

// Known-dangerous calls that Docker's profile never allows (they fall to its EPERM default):
// EPERM here too, whatever the capabilities, rather than our ENOSYS default.
const auto kRefused = std::to_array<std::string_view>({
    // Replacing or extending the running kernel.
    "kexec_load",
    "kexec_file_load",
    "create_module",
    "get_kernel_syms",
    "query_module",
    "uselib",
    // Whole-machine state.
    "swapon",
    "swapoff",
    "nfsservctl",
    "_sysctl",
    "sysfs",
    "ustat",
    // The kernel keyring is not namespaced.
    "keyctl",
    "add_key",
    "request_key",
    // Kernel attack surface the typical workload never needs.
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    // The launcher builds the root; legacy x86 modes.
    "pivot_root",
    "vm86",
    "vm86old",
});

// Calls libseccomp 2.5.4 does not know, by number: allowed, or allowed with a capability (EPERM
// without). Newer calls not listed here, including statmount (457),
// listmount (458), file_getattr (468) and file_setattr (469), get the ENOSYS default: Docker
// allows statmount and listmount, but they walk mount trees by id beyond /proc/self/mountinfo,
// and a program that gets ENOSYS reads mountinfo instead.
struct RawCall {
    std::string_view name;
    std::uint32_t number;
    std::string_view capability;  // "": allowed to all
    std::uint32_t only_arch = 0;
};

constexpr std::array kRaw{
    RawCall{"lsm_get_self_attr", 459, "CAP_SYS_ADMIN"},
    RawCall{"lsm_set_self_attr", 460, "CAP_SYS_ADMIN"},
    RawCall{"lsm_list_modules", 461, "CAP_SYS_ADMIN"},
    RawCall{"mseal", 462, ""},
    RawCall{"setxattrat", 463, ""},
    RawCall{"getxattrat", 464, ""},
    RawCall{"listxattrat", 465, ""},
    RawCall{"removexattrat", 466, ""},
    // open_tree() and mount_setattr() in one call: the mount family, opened by CAP_SYS_ADMIN
    // like them (Docker's profile predates it and refuses it).
    RawCall{"open_tree_attr", 467, "CAP_SYS_ADMIN"},
    // The return trampoline of user-space return probes calls it (x86_64 only, Linux 6.11).
    RawCall{"uretprobe", 335, "", SCMP_ARCH_X86_64},
};

// The namespace flags of clone(): Docker's mask 0x7E020000.
constexpr std::array<std::uint64_t, 7> kCloneNamespaceFlags{
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET};

// Socket families refused: AF_ALG (38, the kernel's crypto API) and AF_VSOCK (40, which
// reaches a VM's host). Docker allows < 38, == 39 and > 40.
constexpr std::uint64_t kAfAlg = 38;
constexpr std::uint64_t kAfVsock = 40;

// personality(): the values Docker allows: PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32 |
// UNAME26 and the query 0xffffffff. Any other value (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and
// the other flags) gets EPERM.
constexpr std::array<std::uint64_t, 5> kPersonalities{0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// i386: socketcall(SYS_SOCKET, args) hides the family in memory that seccomp cannot read.
constexpr std::uint32_t kI386Socketcall = 102;
constexpr std::uint32_t kSysSocket = 1;

const SeccompAction kAllow{SeccompActionKind::allow, 0};
const SeccompAction kEperm{SeccompActionKind::errno_code, EPERM};
const SeccompAction kEnosys{SeccompActionKind::errno_code, ENOSYS};

bool granted_cap(const manifests::Capabilities& granted, std::string_view name) {
    return std::any_of(granted.add.begin(), granted.add.end(),
                       [&](const auto& cap) { return cap.name == name; });
}

manifests::SeccompRule rule_for(std::string_view name, SeccompAction action,
                                std::vector<manifests::SeccompArg> args = {}) {
    return {{std::string(name)}, action, std::move(args)};
}

void add_conditional_rules(SeccompPolicy& policy, bool sys_admin) {
    if (sys_admin) {
        policy.rules.push_back(rule_for("clone", kAllow));
        policy.rules.push_back(rule_for("clone3", kAllow));
    } else {
        std::uint64_t mask = 0;
        for (auto flag : kCloneNamespaceFlags) {
            mask |= flag;
            policy.rules.push_back(
                rule_for("clone", kEperm, {{0, SeccompOp::masked_eq, flag, flag}}));
        }
        policy.rules.push_back(rule_for("clone", kAllow, {{0, SeccompOp::masked_eq, mask, 0}}));
        // clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes glibc
        // (and other runtimes) fall back to clone(), whose flags the rules above see.
        policy.rules.push_back(rule_for("clone3", kEnosys));
    }
    policy.rules.push_back(rule_for("socket", kAllow, {{0, SeccompOp::lt, kAfAlg, 0}}));
    policy.rules.push_back(rule_for("socket", kEperm, {{0, SeccompOp::eq, kAfAlg, 0}}));
    policy.rules.push_back(rule_for("socket", kAllow, {{0, SeccompOp::eq, kAfAlg + 1, 0}}));
    policy.rules.push_back(rule_for("socket", kEperm, {{0, SeccompOp::eq, kAfVsock, 0}}));
    policy.rules.push_back(rule_for("socket", kAllow, {{0, SeccompOp::gt, kAfVsock, 0}}));
    for (auto value : kPersonalities) {
        policy.rules.push_back(rule_for("personality", kAllow, {{0, SeccompOp::eq, value, 0}}));
    }
    // Overlaps the query value 0xffffffff: libseccomp checks equality before ranges on one
    // argument (a unit test holds it to that on every ABI).
    policy.rules.push_back(rule_for("personality", kEperm, {{0, SeccompOp::gt, 0x20008, 0}}));
    policy.rules.push_back(rule_for("personality", kEperm, {{0, SeccompOp::lt, 0x20008, 0}}));
}

}  // namespace

SeccompPolicy default_policy(const manifests::Capabilities& granted) {
    SeccompPolicy policy;
    policy.default_action = kEnosys;
    policy.unknown_names_fatal = false;
    policy.origin = "default profile";

    manifests::SeccompRule allowed{{}, kAllow, {}};
    for (auto name : kAllowed) allowed.names.emplace_back(name);
    std::set<std::string_view> opened, closed;
    for (const auto& group : kCapabilityGroups) {
        const bool has = granted_cap(granted, group.capability);
        for (auto name : group.names) (has ? opened : closed).insert(name);
    }
    manifests::SeccompRule refused{{}, kEperm, {}};
    for (auto name : kRefused) refused.names.emplace_back(name);
    for (auto name : closed) {
        if (opened.count(name) == 0) refused.names.emplace_back(name);
    }
    for (auto name : opened) allowed.names.emplace_back(name);
    policy.rules.push_back(std::move(allowed));
    policy.rules.push_back(std::move(refused));
    add_conditional_rules(policy, granted_cap(granted, "CAP_SYS_ADMIN"));

    policy.raw_rules.push_back(
        {"socketcall(SYS_SOCKET)", kI386Socketcall, kEperm, SCMP_ARCH_X86, kSysSocket});
    for (const auto& raw : kRaw) {
        const bool allowed_here = raw.capability.empty() || granted_cap(granted, raw.capability);
        policy.raw_rules.push_back({std::string(raw.name), raw.number,
                                    allowed_here ? kAllow : kEperm, raw.only_arch, std::nullopt});
    }
    return policy;
}

}  // namespace edgevisor::isolation::seccomp_detail
