#include "cgroup_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>

#include "edgevisor/isolation/cgroup_parse.hpp"

namespace edgevisor::isolation::detail {

UniqueFd open_file(int dir_fd, const char* name, int flags) {
    return UniqueFd(::openat(dir_fd, name, (flags ? flags : O_RDONLY) | O_CLOEXEC));
}

Result<std::string_view> pread_view(int fd, std::span<char> buffer, std::string_view what) {
    ssize_t n;
    do {
        n = ::pread(fd, buffer.data(), buffer.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail_errno("cgroup.read", "read " + std::string(what));
    if (static_cast<std::size_t>(n) == buffer.size())
        return fail(
            "cgroup.read",
            std::string(what) + " is larger than " + std::to_string(buffer.size()) + " bytes",
            EFBIG);
    return std::string_view(buffer.data(), static_cast<std::size_t>(n));
}

Result<std::string_view> pread_growing(int fd, std::string& buffer, std::string_view what,
                                       std::size_t limit) {
    std::size_t size = std::max(buffer.size(), 2 * kFileBuffer);
    for (;;) {
        buffer.resize(std::min(size, limit));
        auto text = pread_view(fd, buffer, what);
        if (text || text.error().code != EFBIG || buffer.size() >= limit) return text;
        size = buffer.size() * 2;
    }
}

Result<std::string> read_file(int dir_fd, const char* name, const std::string& where) {
    UniqueFd fd = open_file(dir_fd, name);
    if (!fd) return fail_errno("cgroup.read", "open " + where + "/" + name);
    std::string out;
    FileBuffer buffer;
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("cgroup.read", "read " + where + "/" + name);
        if (n == 0) return out;
        out.append(buffer.data(), static_cast<std::size_t>(n));
    }
}

Status write_file(int dir_fd, const char* name, std::string_view value, const std::string& where) {
    UniqueFd fd = open_file(dir_fd, name, O_WRONLY);
    if (!fd) return fail_errno("cgroup.write", "open " + where + "/" + name);
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        std::string shown(value.substr(0, value.find_last_not_of('\n') + 1));
        return fail_errno("cgroup.write", "write \"" + shown + "\" to " + where + "/" + name);
    }
    return {};
}

Result<CgroupState> read_state(int events_fd) {
    FileBuffer buffer;
    auto text = pread_view(events_fd, buffer, "cgroup.events");
    if (!text) return std::unexpected(text.error());
    return parse_cgroup_events(*text);
}

Result<bool> wait_state(int dir_fd, const std::string& where, std::chrono::milliseconds timeout,
                        const std::function<bool(const CgroupState&)>& want, int extra_fd) {
    UniqueFd events = open_file(dir_fd, "cgroup.events");
    if (!events) return fail_errno("cgroup.wait", "open " + where + "/cgroup.events");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Reading re-arms kernfs' change notification, so read before every poll.
        auto state = read_state(events.get());
        if (!state) return std::unexpected(state.error().wrap(where));
        if (want(*state)) return true;
        // Rounded up: a truncated remainder would end the wait up to 1 ms early.
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return fail("cgroup.wait",
                        "timed out after " + std::to_string(timeout.count()) + " ms waiting on " +
                            where + "/cgroup.events",
                        ETIMEDOUT);
        pollfd fds[2] = {{events.get(), POLLPRI, 0}, {extra_fd, POLLIN, 0}};
        int n = ::poll(fds, extra_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
        if (n < 0 && errno != EINTR) return fail_errno("cgroup.wait", "poll " + where);
        if (n > 0 && extra_fd >= 0 && (fds[1].revents & POLLIN)) return false;
    }
}

Result<std::vector<pid_t>> read_procs(int dir_fd, const std::string& where) {
    auto text = read_file(dir_fd, "cgroup.procs", where);
    if (!text) return std::unexpected(text.error());
    std::vector<pid_t> pids;
    const char* p = text->data();
    const char* end = p + text->size();
    while (p < end) {
        pid_t pid = 0;
        auto [next, ec] = std::from_chars(p, end, pid);
        if (ec == std::errc()) pids.push_back(pid);
        p = ec == std::errc() ? next : p + 1;
        while (p < end && (*p < '0' || *p > '9')) ++p;
    }
    return pids;
}

Result<std::vector<std::string>> child_cgroups(int dir_fd, const std::string& where) {
    int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return fail_errno("cgroup.list", "open " + where);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(copy), ::closedir);
    if (!dir) {
        ::close(copy);
        return fail_errno("cgroup.list", "fdopendir " + where);
    }
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir.get())) {
        std::string_view name = entry->d_name;
        if (entry->d_type == DT_DIR && name != "." && name != "..") names.emplace_back(name);
    }
    return names;
}

}  // namespace edgevisor::isolation::detail
