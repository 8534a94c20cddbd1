// The subtree edgevisor owns: standalone <mount>/<subtree>, or our systemd-delegated cgroup.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::isolation {
namespace {

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= 63 && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos;
}

std::string join(const std::string& base, std::string_view rel) {
    while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
    while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
    if (rel.empty()) return base;
    return base == "/" ? "/" + std::string(rel) : base + "/" + std::string(rel);
}

Result<UniqueFd> open_dir(const std::string& path, bool create, bool* created = nullptr) {
    if (create) {
        if (::mkdir(path.c_str(), 0755) == 0) {
            if (created) *created = true;
        } else if (errno != EEXIST) {
            return fail_errno("cgroup.tree", "mkdir " + path);
        }
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("cgroup.tree", "open " + path);
    return fd;
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        auto slash = path.find('/');
        if (slash != 0) parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

// Enables in path's cgroup.subtree_control each wanted controller that path offers. One write
// per controller, so one that cannot be enabled (cpu with realtime tasks, say) does not keep
// the others off; it is logged, and a limit that needs it later fails with a clear error.
Status enable_controllers(const std::string& path, const std::vector<std::string>& wanted) {
    auto dir = open_dir(path, false);
    if (!dir) return std::unexpected(dir.error());
    auto offered = detail::read_file(dir->get(), "cgroup.controllers", path);
    if (!offered) return std::unexpected(offered.error());
    auto enabled = detail::read_file(dir->get(), "cgroup.subtree_control", path);
    if (!enabled) return std::unexpected(enabled.error());
    auto available = parse_word_list(*offered);
    auto on = parse_word_list(*enabled);
    for (const auto& controller : wanted) {
        if (std::find(available.begin(), available.end(), controller) == available.end() ||
            std::find(on.begin(), on.end(), controller) != on.end())
            continue;
        auto written =
            detail::write_file(dir->get(), "cgroup.subtree_control", "+" + controller, path);
        if (!written)
            log::warn("cgroup: cannot enable {}: {}", controller, written.error().describe());
    }
    return {};
}

// Delegated layout: every process of the root moves to a leaf (supervisor/ or holder/),
// because a cgroup with processes cannot enable controllers for its children.
Status move_into_leaf(const std::string& root, const std::string& name) {
    auto root_dir = open_dir(root, false);
    if (!root_dir) return std::unexpected(root_dir.error());
    const std::string leaf_path = root + "/" + name;
    auto leaf = open_dir(leaf_path, true);
    if (!leaf) return std::unexpected(leaf.error());
    // Loop: a process forked while we move the others lands in the root again.
    for (int round = 0; round < 16; ++round) {
        auto pids = detail::read_procs(root_dir->get(), root);
        if (!pids) return std::unexpected(pids.error());
        if (pids->empty()) return {};
        for (pid_t pid : *pids) {
            auto moved =
                detail::write_file(leaf->get(), "cgroup.procs", std::to_string(pid), leaf_path);
            if (!moved && moved.error().code != ESRCH) return moved;
        }
    }
    return fail("cgroup.tree", "processes keep appearing in " + root + "; cannot empty it", EBUSY);
}

}  // namespace

Result<CgroupTree> CgroupTree::open(const CgroupOptions& options) {
    CgroupTree tree;
    tree.options_ = options;
    auto mount = discover_cgroup_mount();
    if (!mount) return std::unexpected(mount.error());
    if (tree.options_.mount_point.empty()) tree.options_.mount_point = mount->mount_point;
    const std::string& mount_point = tree.options_.mount_point;

    if (options.layout == CgroupLayout::delegated && !options.root.empty()) {
        tree.root_ = options.root;
        if (auto ok = move_into_leaf(tree.root_, "holder"); !ok) return std::unexpected(ok.error());
    } else if (options.layout == CgroupLayout::delegated) {
        std::string own = mount->own_cgroup;
        // After a restart of the daemon we are already in the leaf.
        if (own.ends_with("/supervisor"))
            own.resize(own.size() - std::string("/supervisor").size());
        tree.root_ = join(mount_point, own);
        if (auto ok = move_into_leaf(tree.root_, "supervisor"); !ok)
            return std::unexpected(ok.error());
    } else {
        auto parts = split_path(options.subtree);
        if (parts.empty() || !std::all_of(parts.begin(), parts.end(), valid_name))
            return fail("cgroup.tree", "invalid cgroup subtree \"" + options.subtree + "\"",
                        EINVAL);
        // Controllers reach a cgroup only through every ancestor's subtree_control.
        std::string path = mount_point;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (auto ok = enable_controllers(path, options.controllers); !ok)
                return std::unexpected(ok.error());
            path = join(path, parts[i]);
            if (i + 1 < parts.size()) {  // the last one is created below, remembering it
                if (auto dir = open_dir(path, true); !dir) return std::unexpected(dir.error());
            }
        }
        tree.root_ = path;
    }
    auto root_dir = open_dir(tree.root_, true, &tree.created_root_);
    if (!root_dir) return std::unexpected(root_dir.error());
    tree.root_dir_ = std::move(*root_dir);
    if (auto ok = enable_controllers(tree.root_, options.controllers); !ok)
        return std::unexpected(ok.error());
    tree.workloads_ = tree.root_ + "/workloads";
    auto workloads_dir = open_dir(tree.workloads_, true);
    if (!workloads_dir) return std::unexpected(workloads_dir.error());
    tree.workloads_dir_ = std::move(*workloads_dir);
    if (auto ok = enable_controllers(tree.workloads_, options.controllers); !ok)
        return std::unexpected(ok.error());
    log::debug("cgroup tree at {} (workloads in {})", tree.root_, tree.workloads_);
    return tree;
}

CgroupTree::~CgroupTree() {
    if (!options_.remove_on_close || !workloads_dir_) return;
    // Only empty directories go; ENOTEMPTY/EBUSY means a workload is still there, keep it.
    workloads_dir_.reset();
    root_dir_.reset();
    if (::rmdir(workloads_.c_str()) != 0) return;
    if (created_root_ && options_.layout == CgroupLayout::standalone) ::rmdir(root_.c_str());
}

Result<std::vector<std::string>> CgroupTree::enabled_controllers() const {
    auto text = detail::read_file(workloads_dir_.get(), "cgroup.subtree_control", workloads_);
    if (!text) return std::unexpected(text.error());
    return parse_word_list(*text);
}

Result<Cgroup> CgroupTree::create_workload(std::string_view name) const {
    if (!valid_name(name))
        return fail("cgroup.create", "invalid workload name \"" + std::string(name) + "\"", EINVAL);
    return Cgroup::create(workloads_ + "/" + std::string(name), true, options_);
}

Result<Cgroup> CgroupTree::open_workload(std::string_view name) const {
    if (!valid_name(name))
        return fail("cgroup.open", "invalid workload name \"" + std::string(name) + "\"", EINVAL);
    return Cgroup::open(workloads_ + "/" + std::string(name), false, options_);
}

}  // namespace edgevisor::isolation
