// The raw process-creation calls shared by the launcher and the joiner: clone3 (with a pidfd
// and, optionally, straight into a cgroup), plain clone for kernels without clone3, and the
// signal mask that keeps the parent's handlers from running in the child.
#pragma once

#include <signal.h>

#include <cstdint>

namespace edgevisor::isolation::detail {

// Blocks every signal in the calling thread for the duration of clone, so the child cannot
// run one of the parent's handlers before it has reset them.
class SignalsBlocked {
  public:
    SignalsBlocked();
    ~SignalsBlocked();
    SignalsBlocked(const SignalsBlocked&) = delete;
    SignalsBlocked& operator=(const SignalsBlocked&) = delete;

  private:
    sigset_t saved_{};
};

// In the child, first thing after clone: the parent blocked all signals around clone so that
// none of its handlers runs here. Handlers are reset before unblocking; ignored signals would
// survive execve otherwise.
void child_reset_signals() noexcept;

// clone3 with CLONE_PIDFD (and CLONE_INTO_CGROUP when cgroup_fd >= 0), fork-like (the child
// continues on a copy of the caller's stack). Returns the pid, 0 in the child, or -errno.
long clone3_spawn(std::uint64_t flags, int cgroup_fd, int* pidfd);

// clone() without a pidfd (Linux < 5.3). Returns the pid, 0 in the child, or -errno.
long clone_spawn(std::uint64_t flags);

}  // namespace edgevisor::isolation::detail
