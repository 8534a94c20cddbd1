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

extern char** environ;

namespace edgevisor::supervisor {
namespace {

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

Status send_with_fd(int socket, const std::string& message, int fd) {
    iovec iov{const_cast<char*>(message.data()), message.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do {
        n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(message.size())) return fail_errno("fdstore", "sendmsg");
    return {};
}

Result<std::string> recv_with_fd(int socket, UniqueFd& fd) {
    char buffer[512];
    iovec iov{buffer, sizeof buffer};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail_errno("fdstore", "recvmsg");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int received = -1;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
            if (i == 0)
                fd.reset(received);
            else
                ::close(received);  // one fd per message; anything more is not ours to keep
        }
    }
    if (n == 0) return fail("fdstore", "connection closed", EPIPE);
    return std::string(buffer, static_cast<std::size_t>(n));
}

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
    store.socket_ = std::move(*fd);
    return store;
}

Result<std::map<std::string, UniqueFd>> FdStore::take_all() {
    if (auto st = send("get"); !st) return std::unexpected(st.error());
    std::map<std::string, UniqueFd> out;
    for (;;) {
        UniqueFd fd;
        auto message = recv_with_fd(socket_.get(), fd);
        if (!message) return std::unexpected(message.error());
        if (*message == "end") return out;
        if (message->starts_with("fd ") && fd)
            out.insert_or_assign(message->substr(3), std::move(fd));
    }
}

Status FdStore::put(const std::string& tag, int fd) {
    return send("put " + tag, fd);
}

Status FdStore::drop(const std::string& tag) {
    return send("drop " + tag);
}

Status FdStore::send(const std::string& message, int fd) {
    if (!socket_) return fail("fdstore", "not connected", ENOTCONN);
    auto st = send_with_fd(socket_.get(), message, fd);
    if (!st) socket_.reset();  // the holder is gone: pipes live as long as we do
    return st;
}

}  // namespace edgevisor::supervisor
