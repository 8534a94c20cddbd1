#include "host_setup.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

namespace edgevisor::bench {
namespace {

// The mount point of the cgroup2 hierarchy, from /proc/self/mountinfo ("" when none).
std::string cgroup2_mount_point() {
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        const auto separator = line.find(" - ");
        if (separator == std::string::npos) continue;
        if (line.compare(separator + 3, 8, "cgroup2 ") != 0) continue;
        std::istringstream fields(line.substr(0, separator));
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        return mount_point;
    }
    return {};
}

// Runs in the forked helper: build the namespace, then report "ok" or the failure on `report`.
[[noreturn]] void build_namespace(int report, int hold, const std::string& rootfs,
                                  const std::string& cgroup_dir) {
    auto die = [&](const char* step) {
        const std::string text = std::string(step) + ": " + std::strerror(errno);
        [[maybe_unused]] auto n = ::write(report, text.data(), text.size());
        ::_exit(1);
    };
    if (::unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        die("mount(/, MS_REC|MS_PRIVATE)");
    }
    if (!cgroup_dir.empty() &&
        ::mount(cgroup_dir.c_str(), "/sys/fs/cgroup", nullptr, MS_BIND, nullptr) != 0) {
        die("bind the cgroup2 child onto /sys/fs/cgroup");
    }
    if (::mount("/", rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        die("bind / onto the OCI rootfs");
    }
    [[maybe_unused]] auto n = ::write(report, "ok", 2);
    char byte = 0;
    while (::read(hold, &byte, 1) > 0) {
    }  // the parent closes its end once it holds the namespace
    ::_exit(0);
}

}  // namespace

Result<Workspace> Workspace::create() {
    std::string path = "/tmp/edgevisor-bench.XXXXXX";
    if (::mkdtemp(path.data()) == nullptr) return fail_errno("mkdtemp", path);
    return Workspace(std::move(path));
}

Workspace::Workspace(Workspace&& other) noexcept : created_(std::move(other.created_)) {
    other.created_.clear();
}

Workspace::~Workspace() {
    // Teardown errors are not actionable here; a leftover in /tmp is harmless.
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
        if (::unlink(it->c_str()) != 0 && errno == EISDIR) ::rmdir(it->c_str());
    }
}

Result<std::string> Workspace::make_dir(const std::string& name) {
    std::string path = dir() + "/" + name;
    if (::mkdir(path.c_str(), 0755) != 0) return fail_errno("mkdir", path);
    created_.push_back(path);
    return path;
}

Result<std::string> Workspace::write_file(const std::string& name, const std::string& content) {
    std::string path = track_file(name);
    std::ofstream out(path, std::ios::trunc);
    out << content;
    out.close();
    if (!out) return fail_errno("write", path);
    return path;
}

std::string Workspace::track_file(const std::string& name) {
    created_.push_back(dir() + "/" + name);
    return created_.back();
}

Result<OciMountNamespace> OciMountNamespace::create(const std::string& rootfs) {
    OciMountNamespace ns;
    ns.home_ = UniqueFd(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!ns.home_) return fail_errno("open", "/proc/self/ns/mnt");

    const std::string cgroup2 = cgroup2_mount_point();
    if (!cgroup2.empty() && cgroup2 != "/sys/fs/cgroup") {  // hybrid: v1 owns /sys/fs/cgroup
        ns.cgroup_dir_ = cgroup2 + "/edgevisor-bench-" + std::to_string(::getpid());
        if (::mkdir(ns.cgroup_dir_.c_str(), 0755) != 0) {
            auto error = fail_errno("mkdir", ns.cgroup_dir_);
            ns.cgroup_dir_.clear();
            return error;
        }
    }

    std::array<int, 2> report{-1, -1};
    std::array<int, 2> hold{-1, -1};
    if (::pipe2(report.data(), O_CLOEXEC) != 0) return fail_errno("pipe2", "helper report");
    UniqueFd report_read(report[0]), report_write(report[1]);
    if (::pipe2(hold.data(), O_CLOEXEC) != 0) return fail_errno("pipe2", "helper hold");
    UniqueFd hold_read(hold[0]), hold_write(hold[1]);

    const pid_t helper = ::fork();
    if (helper < 0) return fail_errno("fork", "mount namespace helper");
    if (helper == 0) {
        hold_write.reset();
        build_namespace(report_write.get(), hold_read.get(), rootfs, ns.cgroup_dir_);
    }
    report_write.reset();
    hold_read.reset();

    std::array<char, 512> text{};
    const ssize_t got = ::read(report_read.get(), text.data(), text.size() - 1);
    if (got == 2 && std::string_view(text.data(), 2) == "ok") {
        const std::string path = "/proc/" + std::to_string(helper) + "/ns/mnt";
        ns.ns_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    }
    const int open_errno = errno;
    hold_write.reset();  // lets the helper exit; the namespace lives on through our fd
    ::waitpid(helper, nullptr, 0);

    if (got != 2 || std::string_view(text.data(), 2) != "ok") {
        return fail("mount-namespace", got > 0
                                           ? std::string(text.data(), static_cast<std::size_t>(got))
                                           : "the helper died before reporting");
    }
    if (!ns.ns_) return fail("open", "the helper's /proc/PID/ns/mnt", open_errno);
    return ns;
}

OciMountNamespace::OciMountNamespace(OciMountNamespace&& other) noexcept
    : ns_(std::move(other.ns_)),
      home_(std::move(other.home_)),
      cgroup_dir_(std::exchange(other.cgroup_dir_, {})) {}

OciMountNamespace::~OciMountNamespace() {
    // crun and runc remove their own cgroups; ours is empty by then.
    if (!cgroup_dir_.empty()) ::rmdir(cgroup_dir_.c_str());
}

}  // namespace edgevisor::bench
