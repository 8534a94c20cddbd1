#include "attempts.hpp"
#include "privilege_calls.hpp"
#include "raw_calls.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

namespace edgevisor::checker {
namespace {

int result(int rc) {
    return rc < 0 ? errno : 0;
}

int open_with(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

int read_one(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof buf);
    int err = n < 0 ? errno : 0;
    ::close(fd);
    return err;
}

int write_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    int err = ::write(fd, "x", 1) == 1 ? 0 : errno;
    ::close(fd);
    return err;
}

// connect() to a Unix socket at PATH: a read-only mount does not stop it, permissions do.
int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return ENAMETOOLONG;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int err = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : errno;
    ::close(fd);
    return err;
}

// mknod of /dev/null's numbers, then open it: either step failing is a success for us.
int mknod_open(const std::string& path) {
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) return errno;
    return open_with(path, O_RDWR);
}

long remount_root_rw() {
    return ::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND, nullptr);
}

long umount_proc_sys() {
    return ::umount2("/proc/sys", MNT_DETACH);
}

long in_own_mount_ns(long (*call)()) {
    if (::unshare(CLONE_NEWNS) != 0) return -1;
    return call();
}

// Creates PATH as uid/gid 1000 (root inside with CAP_SETUID/CAP_SETGID changes to it first).
int write_as_1000(const std::string& path) {
    if (::setresgid(1000, 1000, 1000) != 0 || ::setresuid(1000, 1000, 1000) != 0) return errno;
    return write_file(path);
}

// Names for the "syscall" attempt: a call with harmless arguments whose errno tells whether
// the policy let it through. The privilege tests add rows here.
const std::map<std::string, long (*)()>& syscalls() {
    static const std::map<std::string, long (*)()> table{
        {"unshare_user", [] { return static_cast<long>(::unshare(CLONE_NEWUSER)); }},
        {"unshare_mount", [] { return static_cast<long>(::unshare(CLONE_NEWNS)); }},
        {"chroot", [] { return static_cast<long>(::chroot("/")); }},
        {"umount_root", [] { return static_cast<long>(::umount2("/", MNT_DETACH)); }},
        // Undoing the mounts that isolate: in the workload's mount namespace as it is, and in
        // one of its own (unshare: the kernel copies the mounts, locked when they came from a
        // more privileged user namespace).
        {"remount_root_rw", remount_root_rw},
        {"umount_proc_sys", umount_proc_sys},
        {"ns_remount_root_rw", [] { return in_own_mount_ns(remount_root_rw); }},
        {"ns_umount_proc_sys", [] { return in_own_mount_ns(umount_proc_sys); }},
    };
    return table;
}

int named_syscall(const std::string& name) {
    auto it = syscalls().find(name);
    if (it == syscalls().end()) return ENOSYS;
    return it->second() < 0 ? errno : 0;
}

}  // namespace

const std::vector<Attempt>& attempts() {
    static const std::vector<Attempt> table{
        {"mount_tmpfs", "TARGET",
         [](const std::string& a) {
             return result(::mount("tmpfs", a.c_str(), "tmpfs", 0, nullptr));
         }},
        {"kill", "PID (SIGKILL)",
         [](const std::string& a) { return result(::kill(std::atoi(a.c_str()), SIGKILL)); }},
        {"signal0", "PID (signal 0: is it visible)",
         [](const std::string& a) { return result(::kill(std::atoi(a.c_str()), 0)); }},
        {"open_read", "PATH", [](const std::string& a) { return read_one(a); }},
        {"open_write", "PATH (existing)",
         [](const std::string& a) { return open_with(a, O_WRONLY); }},
        {"open_rdwr", "PATH (existing)", [](const std::string& a) { return open_with(a, O_RDWR); }},
        {"write_file", "PATH (create)", write_file},
        {"write_as_1000", "PATH (create as uid 1000)", write_as_1000},
        {"connect_unix", "PATH", connect_unix},
        {"mknod_open", "PATH", mknod_open},
        {"sethostname", "NAME",
         [](const std::string& a) { return result(::sethostname(a.data(), a.size())); }},
        {"read_environ", "PID",
         [](const std::string& a) { return read_one("/proc/" + a + "/environ"); }},
        {"fchdir", "FD",
         [](const std::string& a) { return result(::fchdir(std::atoi(a.c_str()))); }},
        {"chdir", "PATH", [](const std::string& a) { return result(::chdir(a.c_str())); }},
        {"syscall", "NAME (see syscalls())", named_syscall},
        {"privileged", "NAME (see privilege_calls.cpp)",
         [](const std::string& a) { return privilege_call(a); }},
        {"raw_syscall", "NR[,ARG...] (native ABI)", raw_syscall},
        {"raw_syscall_i386", "NR[,ARG...] (i386 ABI, int 0x80)", raw_syscall_i386},
    };
    return table;
}

}  // namespace edgevisor::checker
