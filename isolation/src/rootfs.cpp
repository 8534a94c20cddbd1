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

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "edgevisor/log.hpp"
#include "mounts.hpp"

namespace edgevisor::isolation {
namespace {

// Where the root is bound before pivot_root. Only our mount namespace sees the bind; the host
// sees an empty directory.
std::string stage_directory() {
    struct stat st {};
    std::string base =
        ::stat("/run", &st) == 0 && S_ISDIR(st.st_mode) ? "/run/edgevisor" : "/tmp/edgevisor";
    // 0755: root inside a user namespace is not the host's root and must still traverse these.
    // They stay empty on the host; nothing is secret here.
    std::string stage = base + "/rootfs-stage";
    for (const auto& dir : {base, stage}) {
        ::mkdir(dir.c_str(), 0755);
        ::chmod(dir.c_str(), 0755);
    }
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
        return fail("mount_target",
                    "mount_target(" + target + "): must be a normalised absolute path, not /",
                    EINVAL);
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
    if (::stat(m.source.c_str(), &st) != 0)
        return fail_errno("bind_source", "bind_source(" + m.source + ")");
    op->create_dir = S_ISDIR(st.st_mode);
    op->source = m.source;
    return op;
}

}  // namespace

Result<RootfsPlan> prepare_rootfs(const manifests::Isolation& isolation, bool mount_namespace,
                                  const MountPrepareOptions& options) {
    RootfsPlan plan;
    if (!mount_namespace) {
        if (!isolation.mounts.empty())
            return fail("mount", "mounts need the mount namespace", EINVAL);
        return plan;
    }
    plan.enabled = true;
    plan.source = isolation.rootfs.path;
    plan.read_only = isolation.rootfs.read_only;
    plan.stage = stage_directory();
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

namespace {}  // namespace

StepResult child_setup_rootfs(const RootfsPlan& plan) noexcept {
    if (!plan.enabled) return step_ok;
    // rslave: host mount events (a USB stick unmounted) still reach us, ours never reach the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        return {"mount_propagation", errno, "/"};
    if (::mount(plan.source.c_str(), plan.stage.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return {"pivot_root", errno, plan.source.c_str()};
    int root = ::open(plan.stage.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return {"pivot_root", errno, plan.source.c_str()};
    // Read-only first, so nothing below can create files in the root by accident; our own
    // mounts (tmpfs, writable binds) are added on top with their own flags.
    if (plan.read_only) {
        if (int rc = make_tree_read_only(root, plan.use_mount_setattr, plan.ro_submounts); rc != 0)
            return {"rootfs_readonly", rc, plan.source.c_str()};
    }
    for (const auto& op : plan.mounts) {
        if (auto r = child_mount_one(root, op); !r.ok()) return r;
    }
    if (auto r = child_mask_proc(root); !r.ok()) return r;

    // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no
    // way back to the host's tree (no old-root directory is needed in a read-only root).
    if (::fchdir(root) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 ||
        ::umount2(".", MNT_DETACH) != 0 || ::chdir("/") != 0)
        return {"pivot_root", errno, plan.source.c_str()};
    ::close(root);
    return step_ok;
}

}  // namespace edgevisor::isolation
