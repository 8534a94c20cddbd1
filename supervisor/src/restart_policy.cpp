#include "restart_policy.hpp"

#include <algorithm>

namespace edgevisor::supervisor {

Event classify_end(const manifests::Restart& restart, const EndFacts& facts,
                   std::uint32_t crash_loop_after) {
    bool restart_it = restart.policy == manifests::RestartPolicy::always ||
                      (restart.policy == manifests::RestartPolicy::on_failure && !facts.success);
    if (!restart_it) return facts.success ? Event::ended_done : Event::ended_failed;
    return facts.quick_failures >= crash_loop_after ? Event::ended_crash_loop
                                                    : Event::ended_restart;
}

std::chrono::milliseconds backoff_delay(const manifests::Backoff& backoff, std::uint32_t attempt,
                                        double random01) {
    using std::chrono::milliseconds;
    const auto initial = backoff.initial.count();
    const auto max = backoff.max.count();
    long long delay = initial;
    for (std::uint32_t i = 1; i < attempt && delay < max; ++i) delay *= 2;
    delay = std::min<long long>(delay, max);
    auto jitter = static_cast<long long>(static_cast<double>(delay) * 0.25 * random01);
    return milliseconds(std::max<long long>(initial, delay - jitter));
}

}  // namespace edgevisor::supervisor
