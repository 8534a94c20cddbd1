// The new root: prepared in the parent, entered in the child with pivot_root.
//
// The child binds the root source (the host's "/" or rootfs.path) recursively onto a staging
// directory, makes it read-only (recursively: the host's /usr or /boot may be separate mounts),
// mounts /proc, /dev, /sys and the manifest's mounts into it through fds, masks /proc, then
// pivot_root(".", ".") and detaches the old root, so no path leads back to the host's tree.
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "edgevisor/log.hpp"
#include "edgevisor/unique_fd.hpp"
#include "mounts.hpp"

namespace edgevisor::isolation {
namespace {

// Checks one level of the staging path: created if missing, then opened without following a
// symlink and accepted only when it is our own and nobody else may write to it.
Status check_stage_level(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_at(Step::rootfs_stage, dir, errno);
    UniqueFd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!fd) return fail_at(Step::rootfs_stage, dir, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_at(Step::rootfs_stage, dir, errno);
    if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return fail_at(Step::rootfs_stage, dir, EPERM,
                       "owned by uid " + std::to_string(st.st_uid) +
                           " or writable by others; refusing to mount there");
    // 0755: root inside a user namespace is not the host's root and must still traverse these.
    // They stay empty on the host; nothing is secret here.
    if (::fchmod(fd.get(), 0755) != 0) return fail_at(Step::rootfs_stage, dir, errno);
    return {};
}

// Where the root is bound before pivot_root: <runtime dir>/rootfs-stage. Only our mount
// namespace sees the bind; the host sees an empty directory. There is no fallback to /tmp,
// where another user could have put a directory or a symlink of their own.
Result<std::string> stage_directory(const std::string& runtime_dir) {
    std::string stage = runtime_dir + "/rootfs-stage";
    for (const auto& dir : {runtime_dir, stage})
        if (auto st = check_stage_level(dir); !st) return std::unexpected(st.error());
    return stage;
}

bool kernel_has_mount_setattr() {
    // EBADF/EINVAL = the syscall exists; ENOSYS = Linux < 5.12.
    static const bool has =
        ::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) == 0 || errno != ENOSYS;
    return has;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

// Every mount point of our mount namespace, from /proc/self/mountinfo.
std::vector<std::string> mount_points() {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, mount_point;
        fields >> id >> parent >> dev >> root >> mount_point;
        out.push_back(unescape(mount_point));
    }
    return out;
}

// Submounts of `source` as they will appear under `stage` after a recursive bind (not `stage`
// itself).
std::vector<std::string> submounts_under(const std::vector<std::string>& mount_points,
                                         const std::string& source, const std::string& stage) {
    std::vector<std::string> out;
    const std::string prefix = source == "/" ? "/" : source + "/";
    for (const auto& mount_point : mount_points)
        if (mount_point.size() > prefix.size() && mount_point.starts_with(prefix))
            out.push_back(stage + "/" + mount_point.substr(prefix.size()));
    return out;
}

Result<MountOp> target_op(MountKind kind, const std::string& target) {
    if (target.size() < 2 || target[0] != '/' || target.find("/../") != std::string::npos ||
        target.ends_with("/..") || target.find("/./") != std::string::npos || target.ends_with("/"))
        return fail_at(Step::mount_target, target, EINVAL,
                       "must be a normalised absolute path, not /");
    MountOp op;
    op.kind = kind;
    op.target = target;
    op.target_rel = target.substr(1);
    auto slash = op.target_rel.rfind('/');
    op.parent_rel = slash == std::string::npos ? "" : op.target_rel.substr(0, slash);
    op.name = slash == std::string::npos ? op.target_rel : op.target_rel.substr(slash + 1);
    return op;
}

Result<MountOp> manifest_op(const manifests::Mount& m) {
    auto op = target_op(m.type == manifests::MountType::bind ? MountKind::bind : MountKind::tmpfs,
                        m.target);
    if (!op) return op;
    op->read_only = m.read_only;
    if (m.type == manifests::MountType::tmpfs) {
        op->data = "mode=" + [&] {
            std::ostringstream mode;
            mode << std::oct << m.mode.value_or(01777);
            return mode.str();
        }();
        if (m.size) op->data += ",size=" + std::to_string(*m.size);
        return op;
    }
    // Bind sources are host paths chosen by the manifest's author (the host's symlinks are
    // followed): checked here, so a missing source fails before anything is created.
    struct stat st {};
    if (::stat(m.source.c_str(), &st) != 0) return fail_at(Step::bind_source, m.source, errno);
    op->create_dir = S_ISDIR(st.st_mode);
    op->source = m.source;
    return op;
}

// With the host's root, what systemd's PrivateTmp=, ProtectHome=tmpfs and a fresh /run give:
// the workload sees no other program's temporary files, sockets or home directories.
struct HostPrivatePath {
    const char* path;
    const char* data;  // tmpfs options
    bool hide;         // empty and read-only (else a fresh writable tmpfs)
};
constexpr HostPrivatePath kHostPrivatePaths[] = {
    {"/tmp", "mode=1777,size=25%", false}, {"/var/tmp", "mode=1777,size=25%", false},
    {"/run", "mode=755,size=10%", false},  {"/var/run", "mode=755,size=10%", false},
    {"/home", "mode=755,size=1m", true},   {"/root", "mode=755,size=1m", true},
};
constexpr const char* kHideData = "mode=755,size=1m";

bool is_real_directory(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool under(const std::string& path, const std::string& dir) {
    return path == dir || path.starts_with(dir + "/");
}

// The tmpfs mounts that give a workload on the host's root its private view. A path missing on
// the host or a symlink (/var/run -> /run) is left alone; a path the manifest mounts on itself
// is the manifest's; a supervisor path under a fresh tmpfs is gone already.
Result<std::vector<MountOp>> host_private_mounts(const manifests::Isolation& isolation,
                                                 const MountPrepareOptions& options) {
    auto wanted = [&](const std::string& path) {
        return is_real_directory(path) &&
               std::none_of(isolation.mounts.begin(), isolation.mounts.end(),
                            [&](const manifests::Mount& m) { return m.target == path; });
    };
    std::vector<MountOp> out;
    auto add = [&](const std::string& path, const char* data, bool hide) -> Status {
        auto op = target_op(MountKind::tmpfs, path);
        if (!op) return std::unexpected(op.error());
        op->data = data;
        // A fresh /run is root's: the workload's root, whatever host id that is.
        if (!hide && std::string_view(data).starts_with("mode=755"))
            op->data += ",uid=" + std::to_string(options.root_uid) +
                        ",gid=" + std::to_string(options.root_gid);
        op->seal_read_only = hide;
        out.push_back(std::move(*op));
        return {};
    };
    for (const auto& p : kHostPrivatePaths)
        if (wanted(p.path))
            if (auto st = add(p.path, p.data, p.hide); !st) return std::unexpected(st.error());
    for (const auto& path : options.supervisor_paths) {
        bool fresh = std::any_of(std::begin(kHostPrivatePaths), std::end(kHostPrivatePaths),
                                 [&](const HostPrivatePath& p) { return under(path, p.path); });
        if (!fresh && wanted(path))
            if (auto st = add(path, kHideData, true); !st) return std::unexpected(st.error());
    }
    return out;
}

}  // namespace

Result<RootfsPlan> prepare_rootfs(const manifests::Isolation& isolation, bool mount_namespace,
                                  const MountPrepareOptions& options) {
    RootfsPlan plan;
    if (!mount_namespace) {
        if (!isolation.mounts.empty())
            return fail_at(Step::mount, "", EINVAL, "mounts need the mount namespace");
        return plan;
    }
    plan.enabled = true;
    plan.root_ids = {options.root_uid, options.root_gid};
    plan.source = isolation.rootfs.path;
    plan.read_only = isolation.rootfs.read_only;
    auto stage = stage_directory(options.runtime_dir);
    if (!stage) return std::unexpected(stage.error());
    plan.stage = std::move(*stage);
    plan.use_mount_setattr = options.allow_mount_setattr && kernel_has_mount_setattr();
    // Without mount_setattr, read-only trees are remounted mount by mount: list them once.
    const auto mounts = plan.use_mount_setattr ? std::vector<std::string>{} : mount_points();
    if (plan.read_only && !plan.use_mount_setattr) {
        log::debug("launcher: no mount_setattr, read-only root by remounting each submount");
        plan.ro_submounts = submounts_under(mounts, plan.source, plan.stage);
    }

    for (auto [kind, target] :
         {std::pair{MountKind::proc, "/proc"}, std::pair{MountKind::dev, "/dev"},
          std::pair{MountKind::sys, "/sys"}}) {
        auto op = target_op(kind, target);
        if (!op) return std::unexpected(op.error());
        plan.mounts.push_back(std::move(*op));
    }
    if (plan.source == "/") {
        auto private_mounts = host_private_mounts(isolation, options);
        if (!private_mounts) return std::unexpected(private_mounts.error());
        for (auto& op : *private_mounts) plan.mounts.push_back(std::move(op));
    }
    for (const auto& m : isolation.mounts) {
        auto op = manifest_op(m);
        if (!op) return std::unexpected(op.error());
        op->use_mount_setattr = plan.use_mount_setattr;
        if (op->kind == MountKind::bind && op->read_only && !plan.use_mount_setattr) {
            // mountinfo names mount points by their real path.
            std::error_code ec;
            auto real = std::filesystem::canonical(op->source, ec);
            op->ro_submounts =
                submounts_under(mounts, ec ? op->source : real.string(), plan.stage + op->target);
        }
        plan.mounts.push_back(std::move(*op));
    }
    return plan;
}

StepResult child_setup_rootfs(const RootfsPlan& plan) noexcept {
    if (!plan.enabled) return step_ok;
    // rprivate: no mount event crosses in either direction. A slave would receive the host's
    // later mounts, read-write whatever our root's flags (a shared host / is systemd's default).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return {Step::mount_propagation, errno, "/"};
    int bound =
        plan.root_tree_fd >= 0
            ? static_cast<int>(::syscall(SYS_move_mount, plan.root_tree_fd, "", AT_FDCWD,
                                         plan.stage.c_str(), MOVE_MOUNT_F_EMPTY_PATH))
            : ::mount(plan.source.c_str(), plan.stage.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
    if (bound != 0) return {Step::pivot_root, errno, plan.source.c_str()};
    int root = ::open(plan.stage.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return {Step::pivot_root, errno, plan.source.c_str()};
    // Read-only first, so nothing below can create files in the root by accident; our own
    // mounts (tmpfs, writable binds) are added on top with their own flags.
    if (plan.read_only) {
        if (int rc = make_tree_read_only(root, plan.use_mount_setattr, plan.ro_submounts); rc != 0)
            return {Step::rootfs_readonly, rc, plan.source.c_str()};
    }
    for (const auto& op : plan.mounts) {
        if (auto r = child_mount_one(root, op, plan.root_ids); !r.ok()) return r;
    }
    for (const auto& op : plan.mounts) {
        if (!op.seal_read_only) continue;
        int top = open_beneath(root, op.target_rel.c_str(), true);
        int rc = top < 0 ? errno : remount_read_only(top);
        if (top >= 0) ::close(top);
        if (rc != 0) return {Step::mount_tmpfs, rc, op.target.c_str()};
    }
    if (auto r = child_mask_proc(root); !r.ok()) return r;

    // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no
    // way back to the host's tree (no old-root directory is needed in a read-only root).
    if (::fchdir(root) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 ||
        ::umount2(".", MNT_DETACH) != 0 || ::chdir("/") != 0)
        return {Step::pivot_root, errno, plan.source.c_str()};
    ::close(root);
    return step_ok;
}

}  // namespace edgevisor::isolation
