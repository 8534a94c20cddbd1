// One run of an exec, tcp or http probe on the daemon's event loop. Nothing here blocks: the
// exec probe is a joined process watched through its pidfd and pipes, the network probes are
// non-blocking sockets made in the workload's network namespace; every run has a timer at
// its timeout. A run that times out, or is destroyed early, kills what it started (the exec
// probe's cgroup, so its children too) and leaves no fd behind; its process is reaped by the
// Reaper, from the loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/event_loop.hpp"
#include "edgevisor/isolation/join.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::health {

struct ProbeResult {
    bool success = false;
    std::string detail;  // "exit 1: <last line>", "connect 127.0.0.1:80: Connection refused",
                         // "http 500", "timed out after 1s"
    bool cgroup_killed = false;  // exec: its cgroup had to be killed (do not clone into it again)
};
using ProbeDone = std::function<void(ProbeResult)>;

// Reaps processes that were killed and given up by their owner, from the loop.
class Reaper {
  public:
    explicit Reaper(EventLoop& loop) : loop_(loop) {}
    void adopt(isolation::Process process);
    [[nodiscard]] std::size_t pending() const { return pending_.size(); }

  private:
    struct Pending {
        isolation::Process process;
        Source source;
    };
    EventLoop& loop_;
    std::map<std::uint64_t, std::unique_ptr<Pending>> pending_;
    std::uint64_t next_ = 0;
};

// The workload a probe looks at.
struct ProbeTarget {
    const isolation::Joiner* joiner = nullptr;
    int pidfd = -1;  // the workload's main process
    // exec only: the cgroup a run is born in (one of the probe's own, below the workload's,
    // so its limits count and a timeout kills everything the run started). -1: the caller's
    // cgroup, and only the run's process group is killed.
    int cgroup_fd = -1;
};

class ProbeRun {
  public:
    virtual ~ProbeRun() = default;
};

// Starts one run; `done` is called once, from the loop (never from inside start_probe), unless
// the run is destroyed first. kind notify is not run here (the notify socket decides).
std::unique_ptr<ProbeRun> start_probe(EventLoop& loop, Reaper& reaper,
                                      const manifests::Probe& probe, const ProbeTarget& target,
                                      ProbeDone done);

// ---- pure parts, unit-tested -----------------------------------------------------------

// "GET <path> HTTP/1.0" with Host, User-Agent and Connection: close.
std::string http_request(const manifests::Probe& probe);
// The status code of a response's first line ("HTTP/1.1 200 OK"); 0 when the line is not
// complete yet or is not an HTTP status line.
int http_status(std::string_view response);
// 2xx/3xx, or one of probe.statuses when given.
bool http_status_ok(const manifests::Probe& probe, int status);

// "1s", "500ms", "1m30s"
std::string duration_text(std::chrono::milliseconds d);

}  // namespace edgevisor::health
