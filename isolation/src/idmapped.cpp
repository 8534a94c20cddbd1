#include "idmapped.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "child_step.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::isolation {
namespace {

// A recursive detached copy of `source` with the user namespace's maps as its idmapping.
Result<UniqueFd> idmapped_tree(const std::string& source, int userns_fd) {
    UniqueFd tree{static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(),
                                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE))};
    if (!tree) return fail_at(Step::mount_bind, "open_tree " + source, errno);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<std::uint64_t>(userns_fd);
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                  sizeof attr) != 0)
        return fail_at(Step::mount_bind, "mount_setattr MOUNT_ATTR_IDMAP " + source, errno);
    return tree;
}

}  // namespace

std::vector<UniqueFd> prepare_idmapped_binds(RootfsPlan& plan, int userns_fd,
                                             const std::string& workload) {
    std::vector<UniqueFd> owned;
    auto attempt = [&](const std::string& source, const std::string& what, int& slot) {
        auto tree = idmapped_tree(source, userns_fd);
        if (!tree) {
            log::warn(
                "{}: {}: no idmapped mount ({}); a plain bind, where the workload's ids are its "
                "host range",
                workload, what, tree.error().describe());
            return;
        }
        slot = tree->get();
        owned.push_back(std::move(*tree));
    };
    // A writable rootfs directory is the workload's own tree: seen through its maps too. The
    // host's own root never is: that would make root inside the owner of the host's files.
    if (plan.enabled && plan.source != "/" && !plan.read_only)
        attempt(plan.source, "rootfs " + plan.source, plan.root_tree_fd);
    for (auto& op : plan.mounts)
        if (op.kind == MountKind::bind) attempt(op.source, "bind " + op.target, op.tree_fd);
    return owned;
}

}  // namespace edgevisor::isolation
