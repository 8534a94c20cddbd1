#include "stats.hpp"

#include <algorithm>
#include <cmath>

namespace edgevisor::bench {

double percentile_of_sorted(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
    const auto lower = static_cast<std::size_t>(std::floor(rank));
    const auto upper = std::min(lower + 1, sorted.size() - 1);
    const double fraction = rank - static_cast<double>(lower);
    return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

Spread summarize(std::vector<double> values) {
    Spread s;
    s.count = values.size();
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());
    s.p10 = percentile_of_sorted(values, 0.10);
    s.p25 = percentile_of_sorted(values, 0.25);
    s.median = percentile_of_sorted(values, 0.50);
    s.p75 = percentile_of_sorted(values, 0.75);
    s.p90 = percentile_of_sorted(values, 0.90);
    s.min = values.front();
    s.max = values.back();
    return s;
}

}  // namespace edgevisor::bench
