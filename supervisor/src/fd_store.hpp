// Log pipes that outlive the daemon. A workload's stdout/stderr pipe breaks (EPIPE, SIGPIPE)
// when no process holds its read end; a daemon killed with SIGKILL would take every workload
// with it. So each read end is also held by edgevisor-fdholder, a tiny process of its own
// (fdholder_main.cpp): the daemon hands it every read end over a unix socket (SCM_RIGHTS) and
// takes them back after a restart. While no daemon reads, output waits in the pipe (up to its
// 1 MiB buffer, then the writer blocks until a daemon is back), and none is lost.
//
// Protocol (SOCK_SEQPACKET, one message per datagram):
//   put <tag>   + one fd    hold this fd under tag (replacing an older one)
//   drop <tag>              close it
//   get                     the holder answers "fd <tag>" + fd for each, then "end"
// The holder exits when its daemon's connection closes and it holds nothing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::supervisor {

class FdStore {
  public:
    // Connects to the holder at <runtime>/fdholder.sock, starting `holder` when none runs
    // (through `launcher`, a command prefix such as systemd-run's, when it is not empty).
    static Result<FdStore> open(const std::string& runtime_dir, const std::string& holder,
                                const std::vector<std::string>& launcher = {});
    FdStore() = default;

    // Every fd the holder has (from a previous daemon), by tag; the holder keeps them.
    Result<std::map<std::string, UniqueFd>> take_all();
    Status put(const std::string& tag, int fd);
    Status drop(const std::string& tag);
    [[nodiscard]] bool connected() const { return socket_.valid(); }

  private:
    Status send(const std::string& message, int fd = -1);
    UniqueFd socket_;
};

// SCM_RIGHTS helpers, shared with the holder. recv returns the message; fd gets the passed
// descriptor (close-on-exec) or stays invalid.
Status send_with_fd(int socket, const std::string& message, int fd);
Result<std::string> recv_with_fd(int socket, UniqueFd& fd);

}  // namespace edgevisor::supervisor
