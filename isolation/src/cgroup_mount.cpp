// Where cgroup v2 is mounted and which cgroup we are in.
#include <fcntl.h>

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

}  // namespace

Result<CgroupMount> discover_cgroup_mount() {
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
