// cgroup.events / memory.events through inotify, for the daemon's event loop.
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::isolation {

Result<CgroupWatcher> CgroupWatcher::create() {
    CgroupWatcher watcher;
    watcher.inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!watcher.inotify_) return fail_errno("cgroup.watch", "inotify_init1");
    return watcher;
}

Status CgroupWatcher::watch(const std::string& workload, const Cgroup& cgroup) {
    unwatch(workload);
    Watched w;
    w.workload = workload;
    const std::string& where = cgroup.path();
    w.events_file = detail::open_file(cgroup.dir_fd(), "cgroup.events");
    if (!w.events_file) return fail_errno("cgroup.watch", "open " + where + "/cgroup.events");
    // The kernel signals both files with IN_MODIFY (kernfs_notify) when their content changes.
    w.events_wd =
        ::inotify_add_watch(inotify_.get(), (where + "/cgroup.events").c_str(), IN_MODIFY);
    if (w.events_wd < 0)
        return fail_errno("cgroup.watch", "inotify_add_watch " + where + "/cgroup.events");
    auto state = detail::read_state(w.events_file.get());
    if (!state) return std::unexpected(state.error());
    w.last_state = *state;

    // memory.events exists only with the memory controller; without it there is no OOM kill
    // to report, so its absence is not an error.
    w.memory_events_file = detail::open_file(cgroup.dir_fd(), "memory.events");
    if (w.memory_events_file) {
        w.memory_wd =
            ::inotify_add_watch(inotify_.get(), (where + "/memory.events").c_str(), IN_MODIFY);
        if (w.memory_wd < 0)
            return fail_errno("cgroup.watch", "inotify_add_watch " + where + "/memory.events");
        detail::FileBuffer buffer;
        auto text = detail::pread_view(w.memory_events_file.get(), buffer, "memory.events");
        if (!text) return std::unexpected(text.error().wrap(where));
        w.last_memory = parse_memory_events(*text);
        by_wd_[w.memory_wd] = workload;
    }
    by_wd_[w.events_wd] = workload;
    watched_.emplace(workload, std::move(w));
    return {};
}

void CgroupWatcher::unwatch(const std::string& workload) {
    auto it = watched_.find(workload);
    if (it == watched_.end()) return;
    for (int wd : {it->second.events_wd, it->second.memory_wd}) {
        if (wd < 0) continue;
        // EINVAL: the kernel dropped the watch (cgroup removed) and drain() has not seen it yet.
        ::inotify_rm_watch(inotify_.get(), wd);
        by_wd_.erase(wd);
    }
    watched_.erase(it);
}

void CgroupWatcher::collect(Watched& w, std::vector<CgroupEvent>& out) {
    auto state = detail::read_state(w.events_file.get());
    // A removed cgroup's files read as ENODEV; only an empty cgroup can be removed, so the
    // state is known, and a removal that raced ahead of our read still reports "emptied".
    if (!state && state.error().code != ENODEV) return;
    CgroupState now = state ? *state : CgroupState{};
    if (now.populated != w.last_state.populated)
        out.push_back(
            {w.workload, now.populated ? CgroupEventKind::populated : CgroupEventKind::emptied, 1});
    if (state && now.frozen != w.last_state.frozen)
        out.push_back(
            {w.workload, now.frozen ? CgroupEventKind::frozen : CgroupEventKind::thawed, 1});
    w.last_state = now;
    if (!w.memory_events_file) return;
    detail::FileBuffer buffer;
    auto text = detail::pread_view(w.memory_events_file.get(), buffer, "memory.events");
    if (!text) return;
    MemoryEvents memory = parse_memory_events(*text);
    if (memory.oom > w.last_memory.oom)
        out.push_back({w.workload, CgroupEventKind::oom, memory.oom - w.last_memory.oom});
    if (memory.oom_kill > w.last_memory.oom_kill)
        out.push_back(
            {w.workload, CgroupEventKind::oom_kill, memory.oom_kill - w.last_memory.oom_kill});
    w.last_memory = memory;
}

Result<std::vector<CgroupEvent>> CgroupWatcher::drain() {
    std::vector<CgroupEvent> out;
    std::vector<std::string> changed;
    alignas(inotify_event) char buffer[4096];
    for (;;) {
        ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) return fail_errno("cgroup.watch", "read inotify");
        for (ssize_t offset = 0; offset < n;) {
            // Copied out: records after one with a name are not aligned (armhf warns, rightly).
            inotify_event event{};
            std::memcpy(&event, buffer + offset, sizeof event);
            offset += static_cast<ssize_t>(sizeof(inotify_event) + event.len);
            auto it = by_wd_.find(event.wd);
            if (it == by_wd_.end()) continue;
            std::string name = it->second;
            if (event.mask & IN_IGNORED) {  // the cgroup was removed: the wd is dead
                if (auto w = watched_.find(name); w != watched_.end()) {
                    if (w->second.events_wd == event.wd) w->second.events_wd = -1;
                    if (w->second.memory_wd == event.wd) w->second.memory_wd = -1;
                }
                by_wd_.erase(it);
            }
            if (std::find(changed.begin(), changed.end(), name) == changed.end())
                changed.push_back(std::move(name));
        }
    }
    // Re-read each changed workload once, however many notifications it queued.
    for (const auto& name : changed)
        if (auto it = watched_.find(name); it != watched_.end()) collect(it->second, out);
    for (const auto& event : out)
        if (event.kind == CgroupEventKind::oom_kill)
            log::warn("workload {}: the kernel OOM-killed {} process(es) (memory.max reached)",
                      event.workload, event.count);
    return out;
}

}  // namespace edgevisor::isolation
