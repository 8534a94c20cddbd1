#include <sys/wait.h>

#include <cerrno>

#include "edgevisor/isolation/launcher.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace edgevisor::isolation {

Result<int> wait_exit(const Process& process) {
    siginfo_t info{};
    for (;;) {
        if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(process.pidfd.get()), &info,
                     WEXITED) == 0)
            break;
        if (errno != EINTR)
            return fail_errno("waitid", "waitid(pidfd " + std::to_string(process.pid) + ")");
    }
    // Rebuild a classic wait status so callers can use WIFEXITED/WTERMSIG as usual.
    if (info.si_code == CLD_EXITED) return (info.si_status & 0xff) << 8;
    int core = info.si_code == CLD_DUMPED ? 0x80 : 0;
    return (info.si_status & 0x7f) | core;
}

}  // namespace edgevisor::isolation
