// Node-level figures sampled with the workloads (same timer): the load average, the node's
// memory, and the supervisor's own CPU and resident memory. The files stay open; a sample is
// one pread of each into a buffer on the stack, no allocation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::health {

struct NodeSample {
    double load1 = 0, load5 = 0, load15 = 0;               // /proc/loadavg
    std::uint64_t memory_total = 0, memory_available = 0;  // /proc/meminfo, bytes
    std::uint64_t supervisor_cpu_usec = 0;                 // user + system, cumulative
    double supervisor_cpu_cores = 0;                       // share of one core since the last
    std::uint64_t supervisor_rss = 0;                      // resident bytes (/proc/self/statm)
};

// Pure parsers of the three files (false: not in the expected form).
bool parse_loadavg(std::string_view text, NodeSample& out);
bool parse_meminfo(std::string_view text, NodeSample& out);
bool parse_statm(std::string_view text, std::uint64_t page_size, NodeSample& out);

// "load 0.42 0.30 0.25, memory 1.2 GiB available of 3.8 GiB, edgevisord cpu 0.00 cores, rss 6.1
// MiB"
std::string describe(const NodeSample& sample);

class NodeSampler {
  public:
    static Result<NodeSampler> open();
    // previous: the last sample (its cpu time and when it was taken), for the cpu share.
    Result<NodeSample> read(const NodeSample* previous, std::chrono::nanoseconds since_previous);

  private:
    UniqueFd loadavg_, meminfo_, statm_;
    std::uint64_t page_size_ = 4096;
};

}  // namespace edgevisor::health
