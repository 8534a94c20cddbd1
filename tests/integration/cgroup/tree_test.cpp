// Discovery of the cgroup2 mount, the standalone and delegated layouts, and ownership.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cgroup_support.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("discovery finds this host's cgroup2 mount and our cgroup") {
    auto mount = isolation::discover_cgroup_mount();
    REQUIRE(mount.has_value());
    struct statfs fs {};
    REQUIRE(::statfs(mount->mount_point.c_str(), &fs) == 0);
    CHECK(fs.f_type == CGROUP2_SUPER_MAGIC);
    CHECK(mount->own_cgroup == isolation::parse_own_cgroup(slurp("/proc/self/cgroup")));
    CHECK(dir_exists(mount->mount_point + mount->own_cgroup));
    // The quick probe of the usual places agrees with /proc/self/mountinfo (here: one cgroup2
    // mount, at /sys/fs/cgroup or /sys/fs/cgroup/unified).
    CHECK(mount->mount_point ==
          isolation::parse_cgroup2_mount_point(slurp("/proc/self/mountinfo")));
}

TEST_CASE("a standalone tree creates <mount>/<subtree>/workloads and removes it on close") {
    std::string root, workloads;
    {
        auto tree = open_test_tree();
        root = tree.root();
        workloads = tree.workloads_dir();
        CHECK(root == tree.mount_point() + "/" + test_tree_options().subtree);
        CHECK(workloads == root + "/workloads");
        CHECK(dir_exists(workloads));
        // Only controllers the mount offers can be enabled: on this host none of ours.
        auto enabled = tree.enabled_controllers();
        REQUIRE(enabled.has_value());
        auto offered = slurp(root + "/cgroup.controllers");
        for (const auto& c : *enabled) CHECK(offered.find(c) != std::string::npos);
    }
    CHECK_FALSE(dir_exists(workloads));
    CHECK_FALSE(dir_exists(root));
}

TEST_CASE("a nested standalone subtree is created level by level") {
    auto options = test_tree_options();
    std::string top = options.subtree;
    options.subtree = top + "/inner";
    {
        auto tree = open_test_tree(options);
        CHECK(tree.root() == tree.mount_point() + "/" + top + "/inner");
        CHECK(dir_exists(tree.workloads_dir()));
    }
    auto mount = isolation::discover_cgroup_mount();
    REQUIRE(mount.has_value());
    // Only the directory the tree created is removed; the intermediate one stays.
    CHECK(::rmdir((mount->mount_point + "/" + top).c_str()) == 0);
}

TEST_CASE("delegated layout moves the daemon into supervisor/ beside workloads/") {
    require_root();
    auto mount = isolation::discover_cgroup_mount();
    REQUIRE(mount.has_value());
    // Plays systemd: a service cgroup with a process in it, then the "daemon" takes it over.
    const std::string top = mount->mount_point + "/edgevisor-deleg-" + std::to_string(::getpid());
    const std::string service = top + "/svc";
    REQUIRE(::mkdir(top.c_str(), 0755) == 0);
    REQUIRE(::mkdir(service.c_str(), 0755) == 0);
    int code = in_child([&] {
        std::ofstream(service + "/cgroup.procs") << ::getpid();
        isolation::CgroupOptions options;
        options.layout = isolation::CgroupLayout::delegated;
        auto tree = isolation::CgroupTree::open(options);
        if (!tree) return std::fprintf(stderr, "%s\n", tree.error().describe().c_str()), 10;
        if (tree->root() != service) return 11;
        if (tree->workloads_dir() != service + "/workloads") return 12;
        if (slurp("/proc/self/cgroup").find("/svc/supervisor\n") == std::string::npos) return 13;
        if (!slurp(service + "/cgroup.procs").empty()) return 14;
        // A restarted daemon finds itself in the leaf and keeps the same root.
        auto again = isolation::CgroupTree::open(options);
        if (!again || again->root() != service) return 15;
        auto workload = again->create_workload("w");
        if (!workload || workload->path() != service + "/workloads/w") return 16;
        return 0;
    });
    CHECK(code == 0);
    for (auto dir : {"/workloads", "/supervisor", ""}) ::rmdir((service + dir).c_str());
    CHECK(::rmdir(top.c_str()) == 0);
}

TEST_CASE("a workload cgroup that still has processes is not taken over") {
    auto tree = open_test_tree();
    auto first = tree.create_workload("busy");
    REQUIRE(first.has_value());
    auto child = spawn_into(first->dir_fd(), [] { ::pause(); });
    auto second = tree.create_workload("busy");
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code == EBUSY);
    CHECK(second.error().message.find("already exists and has processes") != std::string::npos);
    // The failed attempt must not have killed anything.
    CHECK_FALSE(wait_readable(child.pidfd.get(), 100ms));
}

TEST_CASE("an empty left-over workload cgroup is reused") {
    auto tree = open_test_tree();
    const std::string path = tree.workloads_dir() + "/leftover";
    REQUIRE(::mkdir(path.c_str(), 0755) == 0);
    auto cgroup = tree.create_workload("leftover");
    REQUIRE(cgroup.has_value());
    CHECK(cgroup->path() == path);
}

TEST_CASE("an owned Cgroup kills what is left and removes its directory when destroyed") {
    auto tree = open_test_tree();
    std::string path;
    isolation::Process child;
    {
        auto cgroup = tree.create_workload("scoped");
        REQUIRE(cgroup.has_value());
        path = cgroup->path();
        child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
        REQUIRE(dir_exists(path));
    }
    CHECK(wait_readable(child.pidfd.get(), 2s));
    auto status = isolation::wait_exit(child);
    REQUIRE(status.has_value());
    CHECK(WIFSIGNALED(*status));
    CHECK(WTERMSIG(*status) == SIGKILL);
    CHECK_FALSE(dir_exists(path));
}

TEST_CASE("invalid workload names are refused before touching cgroupfs") {
    auto tree = open_test_tree();
    for (auto name : {"", "..", "a/b", "."}) {
        INFO(name);
        auto cgroup = tree.create_workload(name);
        REQUIRE_FALSE(cgroup.has_value());
        CHECK(cgroup.error().code == EINVAL);
    }
}
