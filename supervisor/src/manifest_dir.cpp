#include "manifest_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "edgevisor/atomic_file.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

long long mtime_ns(const struct stat& st) {
    return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

manifests::Diagnostic file_error(const std::string& path, const std::string& message) {
    return manifests::Diagnostic{manifests::SourceMark{path, 0, 0}, "file-unreadable", message};
}

bool same_workloads(const std::vector<DesiredWorkload>& a, const std::vector<DesiredWorkload>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].hash != b[i].hash) return false;
    return true;
}

}  // namespace

bool is_manifest_name(std::string_view name) {
    if (name.empty() || name.front() == '.' || name.front() == '#') return false;
    return name.ends_with(".yaml") || name.ends_with(".yml");
}

bool ManifestDir::read_file(const std::string& name, File& file) {
    const std::string path = dir_ + "/" + name;
    auto failed = [&](const std::string& message) {
        // The last good workloads stay; only the error is new.
        bool changed = file.errors.size() != 1 || file.errors[0].message != message;
        file.errors = {file_error(path, message)};
        file.size = -1;
        return changed;
    };
    struct stat st {};
    // stat follows a symlink: a dangling one fails here (ENOENT) and is reported as such.
    if (::stat(path.c_str(), &st) != 0) {
        struct stat link {};
        bool dangling = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
        return failed(dangling ? "a symlink to nothing (dangling)"
                               : std::string("cannot read: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return failed(S_ISDIR(st.st_mode)    ? "a directory, not a manifest file"
                      : S_ISFIFO(st.st_mode) ? "a FIFO, not a manifest file (not read)"
                                             : "not a regular file (not read)");
    if (file.dev == st.st_dev && file.ino == st.st_ino && file.size == st.st_size &&
        file.mtime_ns == mtime_ns(st))
        return false;
    auto text = edgevisor::read_file(path, 1024 * 1024 + 1);
    if (!text) return failed(text.error().describe());
    file.dev = st.st_dev;
    file.ino = st.st_ino;
    file.size = st.st_size;
    file.mtime_ns = mtime_ns(st);
    auto loaded = manifests::parse_text(*text, path, {}, manifests::Dependencies::ignore);
    bool changed = loaded.diagnostics.size() != file.errors.size();
    if (loaded.ok()) {
        std::vector<DesiredWorkload> good;
        for (auto& w : loaded.workloads) good.push_back(make_desired(std::move(w), "files"));
        changed |= !same_workloads(file.good, good);
        file.good = std::move(good);
        file.errors.clear();
    } else {
        // All or nothing per file: the previous good revision keeps running.
        changed = true;
        file.errors = std::move(loaded.diagnostics);
        for (const auto& d : file.errors) log::warn("manifests: {}", d.format());
    }
    return changed;
}

bool ManifestDir::rescan() {
    std::set<std::string> names;
    bool changed = false;
    std::vector<manifests::Diagnostic> dir_errors;
    if (DIR* dir = ::opendir(dir_.c_str())) {
        while (dirent* entry = ::readdir(dir))
            if (is_manifest_name(entry->d_name)) names.insert(entry->d_name);
        ::closedir(dir);
    } else {
        dir_errors.push_back(file_error(
            dir_, std::string("cannot list the manifest directory: ") + std::strerror(errno)));
    }
    changed |= dir_errors.size() != dir_errors_.size();
    dir_errors_ = std::move(dir_errors);
    for (auto it = files_.begin(); it != files_.end();) {
        if (names.contains(it->first)) {
            ++it;
            continue;
        }
        log::info("manifests: {}/{} removed", dir_, it->first);
        it = files_.erase(it);
        changed = true;
    }
    for (const auto& name : names) changed |= read_file(name, files_[name]);
    if (changed) ++revision_;
    return changed;
}

std::vector<const DesiredWorkload*> ManifestDir::workloads() const {
    std::vector<const DesiredWorkload*> out;
    std::set<std::string> seen;
    for (const auto& [name, file] : files_)
        for (const auto& w : file.good)
            if (seen.insert(w.workload.metadata.name).second) out.push_back(&w);
    return out;
}

std::vector<manifests::Diagnostic> ManifestDir::errors() const {
    std::vector<manifests::Diagnostic> out = dir_errors_;
    std::map<std::string, std::string> first_file;
    for (const auto& [name, file] : files_) {
        out.insert(out.end(), file.errors.begin(), file.errors.end());
        for (const auto& d : file.good) {
            const auto& w = d.workload;
            auto [it, fresh] = first_file.emplace(w.metadata.name, dir_ + "/" + name);
            if (!fresh)
                out.push_back(manifests::Diagnostic{w.source, "duplicate-name",
                                                    "workload '" + w.metadata.name +
                                                        "' is already defined in " + it->second +
                                                        " (this definition is ignored)"});
        }
    }
    return out;
}

Status ManifestDir::watch(EventLoop& loop, std::chrono::milliseconds debounce,
                          std::function<void()> on_change) {
    loop_ = &loop;
    debounce_ = debounce;
    on_change_ = std::move(on_change);
    inotify_source_.reset();
    inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_) return fail_errno("inotify", "inotify_init1");
    constexpr std::uint32_t mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
                                   IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF |
                                   IN_MOVE_SELF | IN_ONLYDIR;
    if (::inotify_add_watch(inotify_.get(), dir_.c_str(), mask) < 0)
        return fail_errno("inotify", "inotify_add_watch(" + dir_ + ")");
    inotify_source_ =
        loop.add_io(inotify_.get(), EPOLLIN, [this](std::uint32_t) { return drain_inotify(); });
    return {};
}

Status ManifestDir::drain_inotify() {
    alignas(inotify_event) char buffer[8192];
    bool relevant = false;
    for (;;) {
        ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) return fail_errno("inotify", "read(inotify)");
        for (ssize_t at = 0; at < n;) {
            // Copied out, not cast: armhf's -Wcast-align refuses the char buffer as an event.
            inotify_event ev{};
            std::memcpy(&ev, buffer + at, sizeof ev);
            const char* name = buffer + at + sizeof(inotify_event);
            at += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
            // The directory itself, or an entry we read: names we ignore wake nothing.
            if (ev.len == 0 || is_manifest_name(name)) relevant = true;
        }
    }
    if (!relevant) return {};
    debounce_timer_ = loop_->add_timer(EventLoop::now() + debounce_, [this] {
        on_change_();
        return Status{};
    });
    return {};
}

}  // namespace edgevisor::supervisor
