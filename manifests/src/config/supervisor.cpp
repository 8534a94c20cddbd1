// supervisor: how the daemon reconciles and restarts (node-wide, not per manifest).
#include "sections.hpp"

namespace edgevisor::manifests::detail {

void parse_supervisor_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MapReader map(ctx, node, "supervisor",
                  {"debounce", "stableRun", "crashLoopAfter", "watchdog", "sampleInterval",
                   "releaseMemoryAfter"});
    if (!map) return;
    SupervisorConfig& s = out.supervisor;
    map.duration("debounce", s.debounce, Duration{0});
    map.duration("stableRun", s.stable_run, Duration{1});
    map.number("crashLoopAfter", s.crash_loop_after, 1, 1000);
    map.duration("watchdog", s.watchdog, Duration{0});
    map.duration("sampleInterval", s.sample_interval, Duration{100});
    map.duration("releaseMemoryAfter", s.release_memory_after, Duration{0});
}

std::string render_supervisor_section(const NodeConfig& config) {
    const SupervisorConfig& s = config.supervisor;
    return "supervisor:\n  debounce: " + duration_text(s.debounce) +
           "\n  stableRun: " + duration_text(s.stable_run) +
           "\n  crashLoopAfter: " + std::to_string(s.crash_loop_after) +
           "\n  watchdog: " + duration_text(s.watchdog) +
           "\n  sampleInterval: " + duration_text(s.sample_interval) +
           "\n  releaseMemoryAfter: " + duration_text(s.release_memory_after) + "\n";
}

}  // namespace edgevisor::manifests::detail
