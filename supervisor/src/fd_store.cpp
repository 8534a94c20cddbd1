#include "fd_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "edgevisor/log.hpp"
#include "fd_passing.hpp"

extern char** environ;

namespace edgevisor::supervisor {
namespace {

// Generous: under systemd the holder is started through systemd-run (a slow board, a TCG guest).
constexpr long kStartupTimeoutSeconds = 30;
// 8192 workloads' pipes (idPool.count is 4096 by default); each queued put holds an fd.
constexpr std::size_t kMaxQueued = 16384;

sockaddr_un address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    return addr;
}

Result<UniqueFd> connect_to(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return fail_errno("fdstore", "socket");
    auto addr = address(path);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return fail_errno("fdstore", "connect(" + path + ")");
    return fd;
}

// Binds the socket here and hands the listening fd to the holder as its fd 3: the daemon can
// connect at once, with no wait for the holder to come up.
Status spawn_holder(const std::string& path, const std::string& holder,
                    const std::vector<std::string>& launcher) {
    ::unlink(path.c_str());
    UniqueFd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!listener) return fail_errno("fdstore", "socket");
    auto addr = address(path);
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::chmod(path.c_str(), 0600) != 0 || ::listen(listener.get(), 4) != 0)
        return fail_errno("fdstore", "bind(" + path + ")");
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, listener.get(), 3);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_init(&attr);
    // Its own session, default signal mask and dispositions: not stopped by our Ctrl-C, and
    // the signals the loop blocks are not blocked in it.
    sigset_t none, all;
    ::sigemptyset(&none);
    ::sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<const char*> argv;
    for (const auto& word : launcher) argv.push_back(word.c_str());
    argv.push_back(holder.c_str());
    argv.push_back(nullptr);
    pid_t pid = -1;
    // The launcher (systemd-run) is found on PATH; the holder is an absolute path.
    int rc =
        ::posix_spawnp(&pid, argv[0], &actions, &attr, const_cast<char**>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        return fail_errno("fdstore", std::string("posix_spawn(") + argv[0] + ")");
    }
    log::debug("fdstore: started {} (pid {})", argv[0], pid);
    return {};
}

}  // namespace

Result<FdStore> FdStore::open(const std::string& runtime_dir, const std::string& holder,
                              const std::vector<std::string>& launcher) {
    const std::string path = runtime_dir + "/fdholder.sock";
    FdStore store;
    auto fd = connect_to(path);
    if (!fd) {
        if (auto st = spawn_holder(path, holder, launcher); !st) return std::unexpected(st.error());
        fd = connect_to(path);
        if (!fd) return std::unexpected(fd.error());
    }
    // The start-up exchange waits, but not forever: a holder that does not answer within this
    // is treated as gone (the daemon runs on; the pipes do not survive its restart).
    timeval limit{kStartupTimeoutSeconds, 0};
    ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    store.socket_ = std::move(*fd);
    return store;
}

FdStore::~FdStore() = default;

Result<std::map<std::string, UniqueFd>> FdStore::take_all() {
    if (!socket_) return fail("fdstore", "not connected", ENOTCONN);
    if (auto st = send_with_fd(socket_.get(), "get", -1); !st) {
        disconnect(st.error().describe());
        return std::unexpected(st.error());
    }
    std::map<std::string, UniqueFd> out;
    for (;;) {
        UniqueFd fd;
        auto message = recv_with_fd(socket_.get(), fd);
        if (!message) {
            disconnect(message.error().describe());
            return std::unexpected(message.error());
        }
        if (*message == "end") return out;
        if (message->starts_with("fd ") && fd)
            out.insert_or_assign(message->substr(3), std::move(fd));
    }
}

void FdStore::attach(EventLoop& loop) {
    loop_ = &loop;
    if (socket_) {
        int flags = ::fcntl(socket_.get(), F_GETFL);
        if (flags < 0 || ::fcntl(socket_.get(), F_SETFL, flags | O_NONBLOCK) != 0)
            disconnect(std::string("fcntl(O_NONBLOCK): ") + std::strerror(errno));
    }
    if (auto st = flush(); !st) disconnect(st.error().describe());
}

void FdStore::put(const std::string& tag, int fd) {
    if (!socket_) return;
    // Our own copy: the capture may close its fd before the holder has it.
    UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (!copy) {
        log::warn("fdstore: {}: dup: {}: this pipe will not survive a daemon restart", tag,
                  std::strerror(errno));
        return;
    }
    enqueue({"put " + tag, std::move(copy)});
}

void FdStore::drop(const std::string& tag) {
    if (!socket_) return;
    const std::string put = "put " + tag;
    std::erase_if(queue_, [&](const Message& m) { return m.text == put; });
    enqueue({"drop " + tag, {}});
}

void FdStore::enqueue(Message message) {
    if (queue_.size() >= kMaxQueued) {
        disconnect("the holder has not read " + std::to_string(queue_.size()) + " messages");
        return;
    }
    queue_.push_back(std::move(message));
    if (writable_) return;  // the loop writes when there is room
    if (auto st = flush(); !st) disconnect(st.error().describe());
}

Status FdStore::flush() {
    if (!socket_ || loop_ == nullptr) return {};
    while (!queue_.empty()) {
        const Message& m = queue_.front();
        if (auto st = send_with_fd(socket_.get(), m.text, m.fd.get()); !st) {
            if (st.error().code != EAGAIN && st.error().code != EWOULDBLOCK) return st;
            if (!writable_)
                writable_ = loop_->add_io(socket_.get(), EPOLLOUT, [this](std::uint32_t) {
                    if (auto again = flush(); !again) disconnect(again.error().describe());
                    return Status{};
                });
            return {};
        }
        queue_.pop_front();
    }
    writable_.reset();
    return {};
}

void FdStore::disconnect(const std::string& why) {
    if (!socket_) return;
    log::warn("fdstore: {}: log pipes will not survive a daemon restart", why);
    writable_.reset();
    queue_.clear();
    socket_.reset();
}

}  // namespace edgevisor::supervisor
