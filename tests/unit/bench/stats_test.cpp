#include <catch2/catch.hpp>

#include "stats.hpp"

using edgevisor::bench::percentile_of_sorted;
using edgevisor::bench::summarize;

TEST_CASE("percentiles interpolate between the closest ranks", "[bench]") {
    const std::vector<double> sorted{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(percentile_of_sorted(sorted, 0.0) == Approx(1));
    CHECK(percentile_of_sorted(sorted, 0.5) == Approx(5.5));
    CHECK(percentile_of_sorted(sorted, 0.1) == Approx(1.9));
    CHECK(percentile_of_sorted(sorted, 0.9) == Approx(9.1));
    CHECK(percentile_of_sorted(sorted, 1.0) == Approx(10));
    CHECK(percentile_of_sorted({}, 0.5) == 0);
    CHECK(percentile_of_sorted({42}, 0.9) == Approx(42));
}

TEST_CASE("summarize sorts first and keeps a long tail out of the median", "[bench]") {
    const auto s = summarize({9, 1, 3, 1000, 5, 7, 2, 4, 6, 8, 10});
    CHECK(s.count == 11);
    CHECK(s.median == Approx(6));
    CHECK(s.min == Approx(1));
    CHECK(s.max == Approx(1000));
    CHECK(s.p25 == Approx(3.5));
    CHECK(s.p75 == Approx(8.5));
    CHECK(s.p90 == Approx(10));
}
