// One cgroup directory: open/create, state, freeze/thaw, kill and removal.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::isolation {
namespace {

// Removes the descendants of dir_fd (deepest first); cgroupfs only allows rmdir of a leaf.
Status remove_children(int dir_fd, const std::string& where) {
    auto children = detail::child_cgroups(dir_fd, where);
    if (!children) return std::unexpected(children.error());
    for (const auto& name : *children) {
        std::string child_path = where + "/" + name;
        UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!child) return fail_errno("cgroup.remove", "open " + child_path);
        if (auto ok = remove_children(child.get(), child_path); !ok) return ok;
        if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            return fail_errno("cgroup.remove", "rmdir " + child_path);
    }
    return {};
}

// The fallback for kernels without cgroup.kill (< 5.14): SIGKILL every pid of the subtree.
// The caller has frozen it, so nothing can fork while we enumerate.
Status kill_each_pid(int dir_fd, const std::string& where) {
    auto pids = detail::read_procs(dir_fd, where);
    if (!pids) return std::unexpected(pids.error());
    for (pid_t pid : *pids)
        if (::kill(pid, SIGKILL) != 0 && errno != ESRCH)
            return fail_errno("cgroup.kill", "kill " + std::to_string(pid) + " in " + where);
    auto children = detail::child_cgroups(dir_fd, where);
    if (!children) return std::unexpected(children.error());
    for (const auto& name : *children) {
        UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!child) continue;  // removed meanwhile
        if (auto ok = kill_each_pid(child.get(), where + "/" + name); !ok) return ok;
    }
    return {};
}

std::string mount_point_for_messages(const CgroupOptions& options) {
    if (!options.mount_point.empty()) return options.mount_point;
    auto mount = discover_cgroup_mount();
    return mount ? mount->mount_point : std::string("the cgroup2 mount");
}

}  // namespace

Cgroup::Cgroup(std::string path, UniqueFd dir, bool own, const CgroupOptions& options)
    : path_(std::move(path)),
      mount_point_(mount_point_for_messages(options)),
      dir_(std::move(dir)),
      owned_(own),
      allow_missing_controllers_(options.allow_missing_controllers),
      allow_cgroup_kill_(options.allow_cgroup_kill) {}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
    if (this != &other) {
        destroy();
        path_ = std::move(other.path_);
        mount_point_ = std::move(other.mount_point_);
        dir_ = std::move(other.dir_);
        owned_ = std::exchange(other.owned_, false);
        allow_missing_controllers_ = other.allow_missing_controllers_;
        allow_cgroup_kill_ = other.allow_cgroup_kill_;
        killed_ = other.killed_;
        skipped_ = std::move(other.skipped_);
    }
    return *this;
}

Cgroup::~Cgroup() {
    destroy();
}

Result<Cgroup> Cgroup::open(const std::string& path, bool own, const CgroupOptions& options) {
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return fail_errno("cgroup.open", "open " + path);
    struct statfs fs {};
    if (::fstatfs(dir.get(), &fs) != 0) return fail_errno("cgroup.open", "statfs " + path);
    if (fs.f_type != CGROUP2_SUPER_MAGIC)
        return fail("cgroup.open", path + " is not in a cgroup v2 filesystem", ENOTSUP);
    return Cgroup(path, std::move(dir), own, options);
}

Result<Cgroup> Cgroup::create(const std::string& path, bool own, const CgroupOptions& options) {
    bool existed = false;
    if (::mkdir(path.c_str(), 0755) != 0) {
        if (errno != EEXIST) return fail_errno("cgroup.create", "mkdir " + path);
        existed = true;
    }
    auto cgroup = open(path, own, options);
    if (!cgroup) return cgroup;
    if (existed) {
        // A directory left by a crash is reused only when no process is in it.
        auto state = cgroup->state();
        if (!state) return std::unexpected(state.error());
        if (state->populated) {
            cgroup->release();
            return fail("cgroup.create",
                        path +
                            " already exists and has processes (is the workload running "
                            "elsewhere?)",
                        EBUSY);
        }
        log::info("cgroup {}: reusing the existing empty directory", path);
    }
    return cgroup;
}

void Cgroup::destroy() noexcept {
    if (!owned_ || !dir_) return;
    if (auto removed = remove(); removed) return;
    // Still populated: nothing of a workload may outlive its cgroup object.
    if (auto killed = kill(); !killed) log::warn("cgroup {}: {}", path_, killed.error().describe());
    if (auto empty = wait_empty(std::chrono::seconds(5)); !empty)
        log::warn("cgroup {}: {}", path_, empty.error().describe());
    if (auto removed = remove(); !removed)
        log::warn("cgroup {}: not removed: {}", path_, removed.error().describe());
}

Result<std::vector<std::string>> Cgroup::controllers() const {
    auto text = detail::read_file(dir_.get(), "cgroup.controllers", path_);
    if (!text) return std::unexpected(text.error());
    return parse_word_list(*text);
}

Result<std::vector<pid_t>> Cgroup::procs() const {
    return detail::read_procs(dir_.get(), path_);
}

Result<CgroupState> Cgroup::state() const {
    UniqueFd events = detail::open_file(dir_.get(), "cgroup.events");
    if (!events) return fail_errno("cgroup.state", "open " + path_ + "/cgroup.events");
    auto state = detail::read_state(events.get());
    if (!state) return std::unexpected(state.error().wrap(path_));
    return state;
}

Status Cgroup::wait_empty(std::chrono::milliseconds timeout) const {
    auto done = detail::wait_state(dir_.get(), path_, timeout,
                                   [](const CgroupState& s) { return !s.populated; });
    if (!done) return std::unexpected(done.error());
    return {};
}

Status Cgroup::freeze(std::chrono::milliseconds timeout) {
    if (auto ok = detail::write_file(dir_.get(), "cgroup.freeze", "1", path_); !ok) return ok;
    auto done = detail::wait_state(dir_.get(), path_, timeout,
                                   [](const CgroupState& s) { return s.frozen; });
    if (!done) return std::unexpected(done.error().wrap("freeze"));
    return {};
}

Status Cgroup::thaw(std::chrono::milliseconds timeout) {
    if (auto ok = detail::write_file(dir_.get(), "cgroup.freeze", "0", path_); !ok) return ok;
    auto done = detail::wait_state(dir_.get(), path_, timeout,
                                   [](const CgroupState& s) { return !s.frozen; });
    if (!done) return std::unexpected(done.error().wrap("thaw"));
    return {};
}

Status Cgroup::kill() {
    killed_ = true;
    if (allow_cgroup_kill_) {
        auto written = detail::write_file(dir_.get(), "cgroup.kill", "1", path_);
        if (written || written.error().code != ENOENT) return written;
        log::debug("cgroup {}: no cgroup.kill (Linux < 5.14), freezing and killing each pid",
                   path_);
    }
    // A freeze that does not complete (a task in uninterruptible sleep) still stops most forks;
    // SIGKILL reaches frozen tasks, so kill anyway and thaw afterwards.
    auto frozen = freeze(std::chrono::seconds(2));
    if (!frozen) log::warn("cgroup {}: {}", path_, frozen.error().describe());
    auto killed = kill_each_pid(dir_.get(), path_);
    auto thawed = thaw(std::chrono::seconds(2));
    if (!killed) return killed;
    if (!thawed) log::warn("cgroup {}: {}", path_, thawed.error().describe());
    return {};
}

Status Cgroup::remove() {
    if (!dir_) return fail("cgroup.remove", "cgroup " + path_ + " was already removed", ENOENT);
    if (auto ok = remove_children(dir_.get(), path_); !ok) return ok;
    if (::rmdir(path_.c_str()) != 0 && errno != ENOENT)
        return fail_errno("cgroup.remove", "rmdir " + path_);
    dir_.reset();
    owned_ = false;
    return {};
}

}  // namespace edgevisor::isolation
