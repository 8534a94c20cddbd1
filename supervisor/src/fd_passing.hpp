// SCM_RIGHTS over the holder's SOCK_SEQPACKET socket (fd_store.hpp has the protocol), shared by
// the daemon and edgevisor-fdholder, which links this file alone (libc and libstdc++ only).
#pragma once

#include <string>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::supervisor {

// One message, with fd attached when fd >= 0. On a non-blocking socket that is full the
// Error's code is EAGAIN.
Status send_with_fd(int socket, const std::string& message, int fd);
// The message; fd gets the passed descriptor (close-on-exec) or stays invalid. `flags` are
// recvmsg's (MSG_DONTWAIT: the Error's code is EAGAIN when no message waits).
Result<std::string> recv_with_fd(int socket, UniqueFd& fd, int flags = 0);

}  // namespace edgevisor::supervisor
