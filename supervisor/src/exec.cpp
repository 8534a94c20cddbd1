// Control::exec: a command inside a running workload (`edgectl exec`), spawned with the join
// code of the exec probes. Nothing waits for it: its pidfd is a loop source, and the caller's
// `done` runs when it ended.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "core.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

// More would let one caller fill the process table of every workload through the daemon.
constexpr std::size_t kMaxExecs = 64;

std::string path_of(const telemetry::ExecRequest& request, const manifests::WorkloadSpec& spec) {
    for (const auto& entry : request.env)
        if (entry.starts_with("PATH=")) return entry.substr(5);
    auto it = spec.env.find("PATH");
    return it == spec.env.end() ? std::string() : it->second;
}

telemetry::ExecEnd end_of(const isolation::JoinedProcess& joined, const std::string& name) {
    auto status = isolation::wait_exit(joined.process);
    if (!status) return {126, status.error().describe()};
    auto failure = isolation::join_failure(joined, name);
    if (!failure) return {126, failure.error().describe()};
    if (*failure) return {(*failure)->code == ENOENT ? 127 : 126, (*failure)->describe()};
    if (WIFSIGNALED(*status)) return {128 + WTERMSIG(*status), {}};
    return {WEXITSTATUS(*status), {}};
}

}  // namespace

Result<std::uint64_t> Core::exec(const telemetry::ExecRequest& request, telemetry::ExecDone done) {
    const std::string& name = request.workload;
    Unit* unit = find(name);
    if (unit == nullptr || unit->remove)
        return fail("exec", "no workload named '" + name + "'", ENOENT);
    if (unit->state != State::running || !unit->process.pidfd)
        return fail("exec",
                    name + " is not running (" + std::string(visible_state(unit->state)) + ")");
    if (request.argv.empty()) return fail("exec", "no command given", EINVAL);
    if (execs_.size() >= kMaxExecs)
        return fail("exec", "too many commands running through exec (" + std::to_string(kMaxExecs) +
                                "); wait for one to end");
    auto command =
        isolation::find_command(unit->process.pid, request.argv[0], path_of(request, unit->spec()));
    if (!command) return std::unexpected(command.error().wrap(name));
    if (!unit->joiner) {  // shared with the exec probes, prepared once per spec
        auto joiner = isolation::Joiner::prepare(unit->desired.workload);
        if (!joiner) return std::unexpected(joiner.error());
        unit->joiner = std::make_shared<isolation::Joiner>(std::move(*joiner));
    }
    isolation::JoinCommand join;
    join.argv = request.argv;
    join.argv[0] = *command;
    join.env = request.env;
    join.stdin_fd = request.stdin_fd;
    join.stdout_fd = request.stdout_fd;
    join.stderr_fd = request.stderr_fd;
    join.controlling_tty = request.tty;
    const int cgroup_fd = unit->cgroup ? unit->cgroup->dir_fd() : -1;
    auto joined = unit->joiner->spawn({unit->process.pidfd.get(), cgroup_fd}, join);
    if (!joined) return std::unexpected(joined.error());

    const std::uint64_t id = next_exec_++;
    auto run = std::make_unique<ExecRun>();
    run->workload = name;
    run->joined = std::move(*joined);
    run->done = std::move(done);
    run->exit = loop_.add_pidfd(run->joined.process.pidfd.get(), [this, id] {
        finish_exec(id);
        return Status{};
    });
    log::info("{}: exec {} started, pid {}: {}", name, id, run->joined.process.pid, *command);
    execs_.emplace(id, std::move(run));
    return id;
}

void Core::finish_exec(std::uint64_t id) {
    auto it = execs_.find(id);
    if (it == execs_.end()) return;
    std::unique_ptr<ExecRun> run = std::move(it->second);
    execs_.erase(it);
    run->exit.reset();
    const telemetry::ExecEnd end = end_of(run->joined, run->workload);
    log::info("{}: exec {} ended: status {}{}{}", run->workload, id, end.status,
              end.failure.empty() ? "" : ", ", end.failure);
    if (run->done) run->done(end);
}

void Core::cancel_exec(std::uint64_t id) {
    auto it = execs_.find(id);
    if (it == execs_.end()) return;
    ExecRun& run = *it->second;
    run.done = nullptr;
    log::info("{}: exec {}: its caller went away, killing it", run.workload, id);
    // Not reaped yet, so neither its pid nor its process group (it is a session leader) can
    // have been reused: the group takes what it started in the foreground with it.
    ::syscall(SYS_pidfd_send_signal, run.joined.process.pidfd.get(), SIGKILL, nullptr, 0);
    ::kill(-run.joined.process.pid, SIGKILL);
}

}  // namespace edgevisor::supervisor
