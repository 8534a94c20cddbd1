// Child side of each mount: open the target beneath the root without following symlinks, then
// mount through /proc/self/fd/<n>. Also the minimal /dev and the /proc masks.
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mounts.hpp"

namespace edgevisor::isolation {

int open_beneath(int root, const char* rel, bool directory) noexcept {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0);
    // BENEATH: no ".." or absolute escape; NO_SYMLINKS: a symlink anywhere on the way, the
    // last component included (no O_NOFOLLOW, which would open the link itself), is refused
    // with ELOOP rather than resolved, so the error names the offending target.
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, root, rel, &how, sizeof how));
}

int remount_read_only(int fd) noexcept {
    // A bind remount must repeat the flags the mount already has: in a user namespace the
    // kernel refuses to clear locked ones (nosuid, nodev, noexec, atime).
    struct statfs st {};
    if (::fstatfs(fd, &st) != 0) return errno;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    if (st.f_flags & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flags & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
    if (st.f_flags & ST_NOATIME) flags |= MS_NOATIME;
    if (st.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (st.f_flags & ST_RELATIME) flags |= MS_RELATIME;
    char path[32];
    return ::mount(nullptr, fd_path(path, fd), nullptr, flags, nullptr) == 0 ? 0 : errno;
}

namespace {

// Opens the directory `rel` beneath the root, creating each missing component (0755) on the
// way, one level at a time without following symlinks. Allocation-free: `rel` is copied into
// a buffer on the stack and cut at each slash.
int open_dir_creating(int root, const char* rel) noexcept {
    char path[4096];
    std::size_t length = std::strlen(rel);
    if (length >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    std::memcpy(path, rel, length + 1);
    int dir = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
    for (char* component = path; dir >= 0 && *component != '\0';) {
        char* slash = std::strchr(component, '/');
        if (slash != nullptr) *slash = '\0';
        int next = open_beneath(dir, component, true);
        if (next < 0 && errno == ENOENT && ::mkdirat(dir, component, 0755) == 0)
            next = open_beneath(dir, component, true);
        int saved = errno;
        ::close(dir);
        errno = saved;
        dir = next;
        if (slash == nullptr) break;
        component = slash + 1;
    }
    return dir;
}

// Opens a target, creating it (and missing directories on the way) when missing. A read-only
// root refuses the creation with EROFS, which is reported as the target's error.
int open_or_create_target(int root, const MountOp& op) noexcept {
    int fd = open_beneath(root, op.target_rel.c_str(), false);
    if (fd >= 0 || errno != ENOENT) return fd;
    int parent = open_dir_creating(root, op.parent_rel.c_str());
    if (parent < 0) return -1;
    int rc = 0;
    if (op.create_dir) {
        rc = ::mkdirat(parent, op.name.c_str(), 0755);
    } else {
        int file = ::openat(parent, op.name.c_str(),
                            O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        rc = file < 0 ? -1 : ::close(file);
    }
    int saved = errno;
    ::close(parent);
    if (rc != 0) {
        errno = saved;
        return -1;
    }
    return open_beneath(root, op.target_rel.c_str(), false);
}

StepResult populate_dev(int root) noexcept {
    int dev = open_beneath(root, "dev", true);
    if (dev < 0) return {Step::mount_dev, errno, "/dev"};
    char dst[32];
    StepResult result = step_ok;
    for (const auto& dev_node : kDevNodes) {
        if (!result.ok()) break;
        int file = ::openat(dev, dev_node.name,
                            O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (file >= 0) ::close(file);
        int node = ::openat(dev, dev_node.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        // The host path still resolves in the host's tree: we have not pivoted yet.
        if (node < 0 || ::mount(dev_node.host, fd_path(dst, node), nullptr, MS_BIND, nullptr) != 0)
            result = {Step::mount_dev, errno, dev_node.host};
        if (node >= 0) ::close(node);
    }
    static constexpr const char* links[][2] = {{"/proc/self/fd", "fd"},
                                               {"/proc/self/fd/0", "stdin"},
                                               {"/proc/self/fd/1", "stdout"},
                                               {"/proc/self/fd/2", "stderr"},
                                               {"pts/ptmx", "ptmx"}};
    for (const auto& link : links) {
        if (result.ok() && ::symlinkat(link[0], dev, link[1]) != 0)
            result = {Step::mount_dev, errno, link[1]};
    }
    if (result.ok()) {
        int pts = -1;
        if (::mkdirat(dev, "pts", 0755) != 0 ||
            (pts = ::openat(dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
            ::mount("devpts", fd_path(dst, pts), "devpts", MS_NOSUID | MS_NOEXEC,
                    "newinstance,ptmxmode=0666,mode=0620") != 0)
            result = {Step::mount_dev, errno, "/dev/pts"};
        if (pts >= 0) ::close(pts);
    }
    if (result.ok()) {
        int shm = -1;
        if (::mkdirat(dev, "shm", 0755) != 0 ||
            (shm = ::openat(dev, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
            ::mount("shm", fd_path(dst, shm), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "mode=1777,size=65536k") != 0)
            result = {Step::mount_dev, errno, "/dev/shm"};
        if (shm >= 0) ::close(shm);
    }
    ::close(dev);
    return result;
}

StepResult mount_at(int root, const MountOp& op, int target) noexcept {
    char dst[32];
    fd_path(dst, target);
    switch (op.kind) {
        case MountKind::proc:
            if (::mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
                return {Step::mount_proc, errno, op.target.c_str()};
            return step_ok;
        case MountKind::dev:
            // nodev on the tmpfs itself: a node created here (mknod) cannot be opened; the
            // allowed devices are separate bind mounts of the host's nodes.
            if (::mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                        "mode=755,size=65536") != 0)
                return {Step::mount_dev, errno, op.target.c_str()};
            return populate_dev(root);
        case MountKind::sys:
            // Not MS_RDONLY here: a sysfs superblock is shared per network namespace, and asking
            // for a read-only one where a writable one exists is EBUSY. The bind remount below
            // makes this mount read-only.
            if (::mount("sysfs", dst, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0)
                return step_ok;
            // A fresh sysfs shows the mounter's network namespace. With the host's network it is
            // the host's superblock, which may not be mounted again where the rbind of the root
            // already put it (EBUSY); in a user namespace without its own network namespace the
            // kernel refuses it (EPERM). Either way: bind the host's /sys, without its submounts
            // (cgroup, debugfs, bpf, ...), on top.
            if ((errno != EPERM && errno != EBUSY) ||
                ::mount("/sys", dst, nullptr, MS_BIND, nullptr) != 0)
                return {Step::mount_sys, errno, op.target.c_str()};
            return step_ok;
        case MountKind::bind:
            if (op.tree_fd >= 0) {
                if (::syscall(SYS_move_mount, op.tree_fd, "", target, "",
                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
                    return {Step::mount_bind, errno, op.target.c_str()};
                return step_ok;
            }
            if (::mount(op.source.c_str(), dst, nullptr, MS_BIND | MS_REC, nullptr) != 0)
                return {Step::mount_bind, errno, op.target.c_str()};
            return step_ok;
        case MountKind::tmpfs:
            if (::mount("tmpfs", dst, "tmpfs",
                        MS_NOSUID | MS_NODEV |
                            (op.read_only ? static_cast<unsigned long>(MS_RDONLY) : 0UL),
                        op.data.c_str()) != 0)
                return {Step::mount_tmpfs, errno, op.target.c_str()};
            return step_ok;
    }
    return step_ok;
}

// Where a target is created inside an idmapped tree, the host's root is unmapped there and the
// kernel refuses (EOVERFLOW): created again with the workload's root as fsuid/fsgid, it is
// root's on disk, as it would be without the idmapping.
int open_or_create_as_root_inside(int root, const MountOp& op, const RootIds& ids) noexcept {
    int fd = open_or_create_target(root, op);
    if (fd >= 0 || errno != EOVERFLOW || ids.uid == 0) return fd;
    ::syscall(SYS_setfsgid, ids.gid);
    ::syscall(SYS_setfsuid, ids.uid);
    fd = open_or_create_target(root, op);
    int saved = errno;
    ::syscall(SYS_setfsuid, 0);
    ::syscall(SYS_setfsgid, 0);
    errno = saved;
    return fd;
}

}  // namespace

StepResult child_mount_one(int root, const MountOp& op, const RootIds& ids) noexcept {
    int target = open_or_create_as_root_inside(root, op, ids);
    if (target < 0) return {Step::mount_target, errno, op.target.c_str()};
    StepResult result = mount_at(root, op, target);
    ::close(target);
    if (!result.ok()) return result;
    bool bind_read_only = (op.kind == MountKind::bind && op.read_only) || op.kind == MountKind::sys;
    if (bind_read_only) {
        // The fd above is the directory under the new mount; reopen to reach the mount itself.
        // A bind is recursive, so its submounts are made read-only with it; a fresh sysfs (or
        // the host's /sys bound without MS_REC) has none.
        int top = open_beneath(root, op.target_rel.c_str(), false);
        int rc = top < 0 ? errno
                 : op.kind == MountKind::bind
                     ? make_tree_read_only(top, op.use_mount_setattr, op.ro_submounts)
                     : remount_read_only(top);
        if (top >= 0) ::close(top);
        if (rc != 0)
            return {op.kind == MountKind::sys ? Step::mount_sys : Step::mount_bind, rc,
                    op.target.c_str()};
    }
    return step_ok;
}

int make_tree_read_only(int fd, bool use_mount_setattr,
                        const std::vector<std::string>& submounts) noexcept {
    if (use_mount_setattr) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                      sizeof attr) == 0)
            return 0;
        return errno;
    }
    if (int rc = remount_read_only(fd); rc != 0) return rc;
    for (const auto& path : submounts) {
        int sub = ::open(path.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (sub < 0) continue;  // a submount under another one that is already gone from view
        int rc = remount_read_only(sub);
        ::close(sub);
        if (rc != 0 && rc != EINVAL) return rc;
    }
    return 0;
}

namespace {

struct ProcPath {
    const char* name;   // beneath the root
    const char* shown;  // for messages
};

// As runc and crun do: files that leak host kernel state are covered with /dev/null,
// directories with an empty read-only tmpfs, and writable control files made read-only.
constexpr ProcPath kMaskedFiles[] = {{"proc/kcore", "/proc/kcore"},
                                     {"proc/keys", "/proc/keys"},
                                     {"proc/latency_stats", "/proc/latency_stats"},
                                     {"proc/timer_list", "/proc/timer_list"},
                                     {"proc/timer_stats", "/proc/timer_stats"},
                                     {"proc/sched_debug", "/proc/sched_debug"}};
constexpr ProcPath kMaskedDirs[] = {
    {"proc/acpi", "/proc/acpi"}, {"proc/scsi", "/proc/scsi"}, {"sys/firmware", "/sys/firmware"}};
constexpr ProcPath kReadOnly[] = {
    {"proc/asound", "/proc/asound"}, {"proc/bus", "/proc/bus"},
    {"proc/fs", "/proc/fs"},         {"proc/irq", "/proc/irq"},
    {"proc/sys", "/proc/sys"},       {"proc/sysrq-trigger", "/proc/sysrq-trigger"}};

}  // namespace

// Opens each path beneath the root (absent ones are skipped: kernels differ) and covers it
// with `cover(fd, path)`, which returns 0 or an errno.
template <std::size_t N, typename Cover>
StepResult cover_each(int root, const ProcPath (&paths)[N], bool directory, Cover cover) noexcept {
    for (const auto& p : paths) {
        int fd = open_beneath(root, p.name, directory);
        if (fd < 0 && errno == ENOENT) continue;
        int rc = fd < 0 ? errno : cover(fd, p);
        if (fd >= 0) ::close(fd);
        if (rc != 0) return {Step::mask_proc, rc, p.shown};
    }
    return step_ok;
}

StepResult child_mask_proc(int root) noexcept {
    char dst[32];
    auto with_null = [&](int fd, const ProcPath&) {
        return ::mount("/dev/null", fd_path(dst, fd), nullptr, MS_BIND, nullptr) == 0 ? 0 : errno;
    };
    auto with_empty_tmpfs = [&](int fd, const ProcPath&) {
        return ::mount("tmpfs", fd_path(dst, fd), "tmpfs",
                       MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,nr_inodes=1") == 0
                   ? 0
                   : errno;
    };
    // Bound onto itself; the path is opened again so that the new top mount is remounted.
    auto read_only = [&](int fd, const ProcPath& p) {
        if (::mount(fd_path(dst, fd), dst, nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
        int top = open_beneath(root, p.name, false);
        if (top < 0) return errno;
        int rc = remount_read_only(top);
        ::close(top);
        return rc;
    };
    if (auto r = cover_each(root, kMaskedFiles, false, with_null); !r.ok()) return r;
    if (auto r = cover_each(root, kMaskedDirs, true, with_empty_tmpfs); !r.ok()) return r;
    return cover_each(root, kReadOnly, false, read_only);
}

}  // namespace edgevisor::isolation
