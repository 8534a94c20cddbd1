#include <catch2/catch.hpp>

#include "edgevisor/manifests/units.hpp"

using namespace edgevisor::manifests;

namespace {

std::string error_of(const edgevisor::Result<Bytes>& r) {
    return r ? "" : r.error().message;
}

}  // namespace

TEST_CASE("sizes take plain bytes, decimal and binary suffixes") {
    CHECK(parse_bytes("4096").value() == 4096);
    CHECK(parse_bytes("0").value() == 0);
    CHECK(parse_bytes("64Mi").value() == 64ULL << 20);
    CHECK(parse_bytes("1G").value() == 1000000000ULL);
    CHECK(parse_bytes("2K").value() == 2000);
    CHECK(parse_bytes("3M").value() == 3000000);
    CHECK(parse_bytes("1T").value() == 1000000000000ULL);
    CHECK(parse_bytes("1Ki").value() == 1024);
    CHECK(parse_bytes("5Gi").value() == 5ULL << 30);
    CHECK(parse_bytes("2Ti").value() == 2ULL << 40);
    CHECK(parse_bytes("18446744073709551615").value() == UINT64_MAX);
    CHECK(parse_bytes("16383Pi").has_value() == false);
}

TEST_CASE("sizes reject negatives, fractions, exponents, overflow and garbage with a reason") {
    CHECK_THAT(error_of(parse_bytes("-1")), Catch::Contains("must not be negative"));
    CHECK_THAT(error_of(parse_bytes("-64Mi")), Catch::Contains("must not be negative"));
    CHECK_THAT(error_of(parse_bytes("1e30")), Catch::Contains("exponent"));
    CHECK_THAT(error_of(parse_bytes("1.5Gi")), Catch::Contains("whole number"));
    CHECK_THAT(error_of(parse_bytes("18446744073709551616")), Catch::Contains("too large"));
    CHECK_THAT(error_of(parse_bytes("17179869184Gi")), Catch::Contains("too large"));
    CHECK_THAT(error_of(parse_bytes("64Mo")), Catch::Contains("unknown unit 'Mo'"));
    CHECK_THAT(error_of(parse_bytes("64mi")), Catch::Contains("unknown unit 'mi'"));
    CHECK_THAT(error_of(parse_bytes("")), Catch::Contains("empty"));
    CHECK_THAT(error_of(parse_bytes("Mi")), Catch::Contains("not a size"));
    CHECK_THAT(error_of(parse_bytes("64 Mi")), Catch::Contains("unknown unit ' Mi'"));
}

TEST_CASE("durations take ms, s, m, h and sums of them") {
    CHECK(parse_duration("500ms").value() == Duration{500});
    CHECK(parse_duration("10s").value() == Duration{10000});
    CHECK(parse_duration("2m").value() == Duration{120000});
    CHECK(parse_duration("1h").value() == Duration{3600000});
    CHECK(parse_duration("1m30s").value() == Duration{90000});
    CHECK(parse_duration("0").value() == Duration{0});
    CHECK(parse_duration("0s").value() == Duration{0});
}

TEST_CASE("durations reject bare numbers, fractions, negatives, overflow and unknown units") {
    auto error = [](std::string_view text) {
        auto r = parse_duration(text);
        return r ? std::string() : r.error().message;
    };
    CHECK_THAT(error("10"), Catch::Contains("needs a unit"));
    CHECK_THAT(error("1.5s"), Catch::Contains("smaller unit"));
    CHECK_THAT(error("-1s"), Catch::Contains("must not be negative"));
    CHECK_THAT(error("10d"), Catch::Contains("unknown unit 'd'"));
    CHECK_THAT(error("99999999999999999999h"), Catch::Contains("too large"));
    CHECK_THAT(error("9223372036854775807h"), Catch::Contains("too large"));
    CHECK_THAT(error("1e30s"), Catch::Contains("unknown unit"));
    CHECK_THAT(error(""), Catch::Contains("empty"));
}

TEST_CASE("cpu takes cores or millicores") {
    CHECK(parse_cpu_millicores("0.5").value() == 500);
    CHECK(parse_cpu_millicores("500m").value() == 500);
    CHECK(parse_cpu_millicores("2").value() == 2000);
    CHECK(parse_cpu_millicores("1.25").value() == 1250);
    CHECK(parse_cpu_millicores(".5").value() == 500);
    CHECK(parse_cpu_millicores("0.0010").value() == 1);
}

TEST_CASE("cpu rejects zero, negatives, sub-millicore, overflow and garbage") {
    auto error = [](std::string_view text) {
        auto r = parse_cpu_millicores(text);
        return r ? std::string() : r.error().message;
    };
    CHECK_THAT(error("0"), Catch::Contains("zero"));
    CHECK_THAT(error("0m"), Catch::Contains("zero"));
    CHECK_THAT(error("-1"), Catch::Contains("negative"));
    CHECK_THAT(error("-500m"), Catch::Contains("negative"));
    CHECK_THAT(error("0.0005"), Catch::Contains("finer than one millicore"));
    CHECK_THAT(error("1e30"), Catch::Contains("exponent"));
    CHECK_THAT(error("18446744073709551616"), Catch::Contains("too large"));
    CHECK_THAT(error("18446744073709552"), Catch::Contains("too large"));
    CHECK(parse_cpu_millicores("18446744073709551").value() == 18446744073709551000ULL);
    CHECK_THAT(error("99999999999999999999m"), Catch::Contains("too large"));
    CHECK_THAT(error("half"), Catch::Contains("not a CPU quantity"));
    CHECK_THAT(error("1."), Catch::Contains("not a CPU quantity"));
    CHECK_THAT(error(""), Catch::Contains("not a CPU quantity"));
}
