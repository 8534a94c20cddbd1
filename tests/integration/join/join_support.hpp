// Helpers for the join tests: a running workload (killed at the end of the scope) and the
// collected outcome of a joined process.
#pragma once

#include <chrono>
#include <string>

#include "edgevisor/isolation/join.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::testing {

// A workload launched with its stdout on a pipe; SIGKILLed and reaped when destroyed.
class RunningWorkload {
  public:
    explicit RunningWorkload(manifests::Workload workload, int cgroup_fd = -1);
    ~RunningWorkload();
    RunningWorkload(const RunningWorkload&) = delete;
    RunningWorkload& operator=(const RunningWorkload&) = delete;

    [[nodiscard]] const manifests::Workload& workload() const { return workload_; }
    [[nodiscard]] const isolation::Process& process() const { return process_; }
    // Waits (generously) for a line of the workload's stdout that equals `line`.
    void wait_for_line(const std::string& line);

  private:
    manifests::Workload workload_;
    isolation::Process process_;
    UniqueFd stdout_;
    std::string seen_;
};

struct JoinedOutput {
    std::string out, err;
    int status = -1;               // wait status
    std::optional<Error> failure;  // join_failure()
};

// Reads both pipes to EOF (poll, generous deadline), then reaps and reads the report.
JoinedOutput collect(isolation::JoinedProcess& joined, const std::string& workload_name);

// Joiner::prepare + spawn + collect; REQUIREs that prepare and spawn succeed.
JoinedOutput join_and_collect(const RunningWorkload& running, std::vector<std::string> argv,
                              isolation::JoinOptions options = {}, int cgroup_fd = -1);

// /proc/<pid>/ns/<ns> link text seen from here.
std::string namespace_of(pid_t pid, const std::string& ns);

}  // namespace edgevisor::testing
