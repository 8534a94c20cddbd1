#include "fd_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace edgevisor::supervisor {

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
    if (n < 0) return fail_errno("fdstore", "sendmsg");
    if (n != static_cast<ssize_t>(message.size())) return fail("fdstore", "sendmsg: short", EIO);
    return {};
}

Result<std::string> recv_with_fd(int socket, UniqueFd& fd, int flags) {
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
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | flags);
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

}  // namespace edgevisor::supervisor
