// Stopping a workload so that nothing of it survives: signal, grace, cgroup.kill, rmdir.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::isolation {

Result<StopOutcome> stop(Cgroup& cgroup, const Process* main, const StopOptions& options) {
    StopOutcome outcome;
    const std::string& where = cgroup.path();
    if (main && main->pidfd) {
        // ESRCH: it has exited already (a zombie still accepts signals, so this is rare).
        // Through syscall(): Debian 12's <sys/pidfd.h> lacks extern "C" and breaks C++ links.
        if (::syscall(SYS_pidfd_send_signal, main->pidfd.get(), options.signal, nullptr, 0) != 0 &&
            errno != ESRCH)
            return fail_errno("cgroup.stop",
                              "pidfd_send_signal to pid " + std::to_string(main->pid));
        // Wait for the main process to exit (its pidfd turns readable) or the whole cgroup to
        // empty, whichever comes first, at most the grace period.
        auto waited = detail::wait_state(
            cgroup.dir_fd(), where, options.grace,
            [](const CgroupState& s) { return !s.populated; }, main->pidfd.get());
        if (waited) {
            outcome.exited_in_grace = true;
        } else if (waited.error().code != ETIMEDOUT) {
            return std::unexpected(waited.error());
        } else {
            log::info("cgroup {}: still running {} ms after signal {}, killing", where,
                      options.grace.count(), options.signal);
        }
    }
    // What is left (the main process past its grace, or children it left behind, daemonised
    // or not) is killed as a whole.
    auto state = cgroup.state();
    if (!state) return std::unexpected(state.error());
    if (state->populated) {
        outcome.killed = true;
        if (auto ok = cgroup.kill(); !ok) return std::unexpected(ok.error());
        if (auto ok = cgroup.wait_empty(options.kill_timeout); !ok)
            return std::unexpected(ok.error().wrap("cgroup.kill did not empty " + where));
    }
    if (options.remove) {
        if (auto ok = cgroup.remove(); !ok) return std::unexpected(ok.error());
    }
    return outcome;
}

}  // namespace edgevisor::isolation
