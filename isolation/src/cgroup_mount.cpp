// Where cgroup v2 is mounted and which cgroup we are in.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <optional>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"

namespace edgevisor::isolation {
namespace {

Result<std::string> read_proc(const char* path) {
    auto text = detail::read_file(AT_FDCWD, path, "");
    if (!text) return fail("cgroup.discover", std::string("read ") + path, text.error().code);
    return text;
}

// cgroup2 mounted at one of the usual places (unified, or hybrid's .../unified). statfs and statx
// cost a few microseconds; reading /proc/self/mountinfo costs about 0.1 ms of formatting in the
// kernel, which `edgectl run` would pay on every launch (README "Performance").
std::optional<std::string> usual_cgroup2_mount() {
    for (const char* path : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        struct statfs fs {};
        if (::statfs(path, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) continue;
        // The root of a mount, not a directory inside one mounted higher up.
        struct statx stx {};
        if (::statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, 0, &stx) != 0) continue;
        if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
            (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0)
            return path;
    }
    return std::nullopt;
}

Result<std::string> mount_point_from_mountinfo() {
    auto mountinfo = read_proc("/proc/self/mountinfo");
    if (!mountinfo) return std::unexpected(mountinfo.error());
    auto mount_point = parse_cgroup2_mount_point(*mountinfo);
    if (!mount_point) {
        if (mountinfo_has_cgroup_v1(*mountinfo))
            return fail("cgroup.discover",
                        "this host has only cgroup v1 hierarchies (no cgroup2 mount in "
                        "/proc/self/mountinfo); edgevisor needs cgroup v2: boot with "
                        "systemd.unified_cgroup_hierarchy=1 or mount cgroup2 (hybrid)");
        return fail("cgroup.discover",
                    "no cgroup2 filesystem is mounted (see /proc/self/mountinfo); mount it, e.g. "
                    "mount -t cgroup2 none /sys/fs/cgroup");
    }
    return *mount_point;
}

}  // namespace

Result<CgroupMount> discover_cgroup_mount() {
    auto mount_point = usual_cgroup2_mount();
    if (!mount_point) {
        auto listed = mount_point_from_mountinfo();
        if (!listed) return std::unexpected(listed.error());
        mount_point = *listed;
    }
    auto cgroup = read_proc("/proc/self/cgroup");
    if (!cgroup) return std::unexpected(cgroup.error());
    auto own = parse_own_cgroup(*cgroup);
    if (!own)
        return fail("cgroup.discover",
                    "/proc/self/cgroup has no cgroup v2 (\"0::\") line although cgroup2 is "
                    "mounted at " +
                        *mount_point);
    return CgroupMount{*mount_point, *own};
}

}  // namespace edgevisor::isolation
