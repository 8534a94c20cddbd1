// What the restart policy makes of an end (an exit, a kill, a start failure), and how long the
// backoff before the next start is. Pure functions: unit-tested without a process.
#pragma once

#include <chrono>
#include <cstdint>

#include "edgevisor/manifests/spec.hpp"
#include "lifecycle.hpp"

namespace edgevisor::supervisor {

struct EndFacts {
    bool success = false;              // exit status 0
    bool requested = false;            // we asked it to stop
    std::uint32_t quick_failures = 0;  // runs in a row shorter than stableRun, this one included
};

// ended_restart, ended_crash_loop, ended_done or ended_failed.
Event classify_end(const manifests::Restart& restart, const EndFacts& facts,
                   std::uint32_t crash_loop_after);

// Delay before restart number `attempt` (1 = first restart): initial * 2^(attempt-1), at most
// max, then jittered down by up to a quarter (never below initial), so that many workloads
// failing together do not restart in lockstep. `random01` is in [0, 1).
std::chrono::milliseconds backoff_delay(const manifests::Backoff& backoff, std::uint32_t attempt,
                                        double random01);

}  // namespace edgevisor::supervisor
