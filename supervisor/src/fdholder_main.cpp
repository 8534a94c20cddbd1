// edgevisor-fdholder: holds the read ends of the workloads' log pipes while no daemon does
// (fd_store.hpp). Started by edgevisord with its listening socket as fd 3. One client at a
// time (the daemon); exits once that client is gone and nothing is held. While no daemon is
// connected, a pipe whose writers are all gone (its workload ended) is dropped, so a holder
// never outlives the workloads it holds pipes for. No library but libc and libstdc++.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include <map>
#include <string>
#include <vector>

#include "fd_passing.hpp"

using edgevisor::UniqueFd;
using edgevisor::supervisor::recv_with_fd;
using edgevisor::supervisor::send_with_fd;

namespace {

// Reads and answers one message from the daemon, without waiting for one. False when none was
// waiting or the connection is gone (then `client` is reset).
bool serve(UniqueFd& client, std::map<std::string, UniqueFd>& held) {
    UniqueFd fd;
    auto message = recv_with_fd(client.get(), fd, MSG_DONTWAIT);
    if (!message) {
        if (message.error().code != EAGAIN) client.reset();
        return false;
    }
    if (message->starts_with("put ") && fd) {
        held.insert_or_assign(message->substr(4), std::move(fd));
    } else if (message->starts_with("drop ")) {
        held.erase(message->substr(5));
    } else if (*message == "get") {
        for (const auto& [tag, owned] : held)
            (void)send_with_fd(client.get(), "fd " + tag, owned.get());
        (void)send_with_fd(client.get(), "end", -1);
    }
    return true;
}

}  // namespace

int main() {
    const int listener = 3;
    // Whatever else the daemon had open when it spawned us must not live on in a process that
    // outlives it: Paho MQTT C opens its broker socket without O_CLOEXEC on its own thread, and
    // a holder that inherited it kept the connection up after a SIGKILL of the daemon, so the
    // broker never sent the node's will.
    ::syscall(SYS_close_range, listener + 1, UINT_MAX, 0);
    // Two pipes a workload: 1000 workloads need more than a default soft limit of 1024 (started
    // through systemd-run we do not inherit the daemon's raised one).
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    std::map<std::string, UniqueFd> held;
    UniqueFd client;
    bool had_client = false;
    for (;;) {
        if (had_client && !client && held.empty()) return 0;
        std::vector<pollfd> fds{{listener, POLLIN, 0}, {client.get(), POLLIN, 0}};
        std::vector<std::string> tags;
        if (!client)
            for (const auto& [tag, owned] : held) {
                fds.push_back({owned.get(), 0, 0});  // POLLHUP: every writer is gone
                tags.push_back(tag);
            }
        if (::poll(fds.data(), fds.size(), -1) < 0) continue;
        for (std::size_t i = 2; i < fds.size(); ++i)
            if (fds[i].revents & POLLHUP) held.erase(tags[i - 2]);
        // Every message that waits, not one a wake-up: a daemon starting 1000 workloads sends
        // 2000 puts in a burst, and one poll() a message doubled the holder's system calls.
        if (client && fds[1].revents != 0)
            while (client && serve(client, held)) {
            }
        if (fds[0].revents & POLLIN) {
            // A new daemon replaces the old connection (a daemon that died leaves it at EOF).
            UniqueFd accepted(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
            if (accepted) {
                // What the old daemon sent before it went is still queued on its connection:
                // taken first, or a restart right after a burst of hand-overs lost the rest.
                while (client && serve(client, held)) {
                }
                client = std::move(accepted);
                had_client = true;
            }
        }
    }
}
