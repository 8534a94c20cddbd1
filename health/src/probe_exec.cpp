// The exec probe: a process joined into the workload, its output kept (the last 4 KiB), its
// exit the result; killed with everything it started at the timeout.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include "edgevisor/health/probe_state.hpp"
#include "edgevisor/log.hpp"
#include "probe_internal.hpp"

namespace edgevisor::health {
namespace {

constexpr std::size_t kOutputKept = 4096;

// Waits on an exited process without blocking: WNOHANG, since the pidfd said it exited.
std::optional<int> reap_now(const isolation::Process& process) {
    siginfo_t info{};
    if (::waitid(static_cast<idtype_t>(3 /* P_PIDFD */), static_cast<id_t>(process.pidfd.get()),
                 &info, WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0)
        return std::nullopt;
    if (info.si_code == CLD_EXITED) return (info.si_status & 0xff) << 8;
    return info.si_status & 0x7f;
}

class ExecRun final : public ProbeRun {
  public:
    ExecRun(EventLoop& loop, Reaper& reaper, const manifests::Probe& probe,
            const ProbeTarget& target, ProbeDone done)
        : loop_(loop),
          reaper_(reaper),
          timeout_(probe.timeout),
          target_(target),
          done_(std::move(done)) {
        isolation::JoinCommand command;
        command.argv = probe.exec;
        auto joined = target.joiner->spawn({target.pidfd, target.cgroup_fd}, command);
        if (!joined) {
            finish_soon({false, joined.error().describe()});
            return;
        }
        joined_ = std::move(*joined);
        exit_ = loop_.add_pidfd(joined_.process.pidfd.get(), [this] { return exited(); });
        out_ = watch(joined_.stdout_pipe);
        err_ = watch(joined_.stderr_pipe);
        timer_ = loop_.add_timer(EventLoop::now() + timeout_, [this] { return timed_out(); });
    }

    ~ExecRun() override {
        if (!joined_.process.pidfd) return;
        kill_all();
        // The reaper watches the same pidfd: ours must leave the loop first (epoll refuses a
        // second registration of it, and an unreaped run, a member of the workload's pid
        // namespace, would keep the workload's pid 1 from ever finishing its exit).
        exit_.reset();
        out_.reset();
        err_.reset();
        timer_.reset();
        reaper_.adopt(std::move(joined_.process));
    }

  private:
    Source watch(const UniqueFd& fd) {
        return loop_.add_io(fd.get(), EPOLLIN, [this, &fd](std::uint32_t) {
            read_output(fd);
            return Status{};
        });
    }

    void read_output(const UniqueFd& fd) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) {
            output_.append(buf, static_cast<std::size_t>(n));
            if (output_.size() > 2 * kOutputKept) output_.erase(0, output_.size() - kOutputKept);
        }
        if (n == 0) (&fd == &joined_.stdout_pipe ? out_ : err_).reset();  // EOF
    }

    // SIGKILL to the run's process, its process group (it leads one), and its cgroup.
    void kill_all() {
        ::syscall(SYS_pidfd_send_signal, joined_.process.pidfd.get(), SIGKILL, nullptr, 0);
        if (joined_.process.pid > 0) ::kill(-joined_.process.pid, SIGKILL);
        if (detail::kill_cgroup(target_.cgroup_fd)) cgroup_killed_ = true;
    }

    Status timed_out() {
        timed_out_ = true;
        kill_all();
        return {};
    }

    Status exited() {
        auto status = reap_now(joined_.process);
        if (!status) return {};  // not yet: the pidfd fires again
        exit_.reset();
        timer_.reset();
        if (out_) read_output(joined_.stdout_pipe);
        if (err_) read_output(joined_.stderr_pipe);
        // What it left behind (a daemonised child) goes with it.
        if (joined_.process.pid > 0) ::kill(-joined_.process.pid, SIGKILL);
        if (detail::kill_cgroup(target_.cgroup_fd)) cgroup_killed_ = true;
        auto failure = isolation::join_failure(joined_, target_.joiner->workload_name());
        joined_.process.pidfd.reset();
        out_.reset();
        err_.reset();
        ProbeResult result;
        result.cgroup_killed = cgroup_killed_;
        if (timed_out_)
            result.detail = "timed out after " + duration_text(timeout_);
        else if (!failure)
            result.detail = failure.error().describe();
        else if (*failure)
            result.detail = (*failure)->describe();
        else
            result = {*status == 0, exec_detail(*status, output_), cgroup_killed_};
        auto done = std::move(done_);  // the owner may destroy this run in it
        done(std::move(result));
        return {};
    }

    void finish_soon(ProbeResult result) {
        timer_ = loop_.add_timer(EventLoop::now(), [this, result] {
            auto done = std::move(done_);
            done(result);
            return Status{};
        });
    }

    EventLoop& loop_;
    Reaper& reaper_;
    std::chrono::milliseconds timeout_;
    ProbeTarget target_;
    ProbeDone done_;
    isolation::JoinedProcess joined_;
    Source exit_, out_, err_, timer_;
    std::string output_;
    bool timed_out_ = false;
    bool cgroup_killed_ = false;
};

}  // namespace

void Reaper::adopt(isolation::Process process) {
    if (!process.pidfd) return;
    if (reap_now(process)) return;
    auto id = next_++;
    auto pending = std::make_unique<Pending>();
    pending->process = std::move(process);
    Pending* p = pending.get();
    p->source = loop_.add_pidfd(p->process.pidfd.get(), [this, id, p] {
        if (!reap_now(p->process)) return Status{};
        pending_.erase(id);  // destroys the Source that is running: the loop allows it
        return Status{};
    });
    pending_.emplace(id, std::move(pending));
}

namespace detail {
std::unique_ptr<ProbeRun> start_exec(EventLoop& loop, Reaper& reaper, const manifests::Probe& probe,
                                     const ProbeTarget& target, ProbeDone done) {
    return std::make_unique<ExecRun>(loop, reaper, probe, target, std::move(done));
}
}  // namespace detail

}  // namespace edgevisor::health
