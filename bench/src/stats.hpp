// Order statistics for benchmark samples: medians and percentiles rather than means, because
// launch times have a long right tail (page faults, a neighbour's compile) that a mean hides.
#pragma once

#include <cstddef>
#include <vector>

namespace edgevisor::bench {

struct Spread {
    std::size_t count = 0;
    double p10 = 0;
    double p25 = 0;
    double median = 0;
    double p75 = 0;
    double p90 = 0;
    double min = 0;
    double max = 0;
};

// Percentile q in [0, 1] of sorted values, linearly interpolated between the closest ranks
// (the "type 7" definition of R and NumPy). Empty input gives 0.
double percentile_of_sorted(const std::vector<double>& sorted, double q);

Spread summarize(std::vector<double> values);

}  // namespace edgevisor::bench
