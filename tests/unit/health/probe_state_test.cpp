#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "edgevisor/health/probe_state.hpp"

using namespace edgevisor;
using namespace edgevisor::health;
using Kind = HealthDecision::Kind;

namespace {

manifests::Probe probe(std::uint32_t failures, std::uint32_t successes = 1) {
    manifests::Probe p;
    p.failure_threshold = failures;
    p.success_threshold = successes;
    return p;
}

}  // namespace

TEST_CASE("liveness restarts after exactly failureThreshold failures in a row") {
    manifests::Health h;
    h.liveness = probe(3);
    WorkloadHealth health(h);
    CHECK(health.status() == "healthy");
    CHECK(health.record(ProbeRole::liveness, false, "exit 1: a").kind == Kind::none);
    CHECK(health.record(ProbeRole::liveness, false, "exit 1: b").kind == Kind::none);
    CHECK(health.status() == "healthy");  // 2 of 3: tolerated, as failureThreshold says
    CHECK(health.record(ProbeRole::liveness, true, "").kind == Kind::none);  // resets the count
    CHECK(health.status() == "healthy");
    CHECK(health.record(ProbeRole::liveness, false, "exit 1: c").kind == Kind::none);
    CHECK(health.record(ProbeRole::liveness, false, "exit 1: d").kind == Kind::none);
    auto d = health.record(ProbeRole::liveness, false, "exit 2: disk full");
    CHECK(d.kind == Kind::restart);
    CHECK(d.message == "liveness failed: exit 2: disk full");
    CHECK(health.status() == "unhealthy");  // until the run ends
    // Past the threshold nothing more is asked: one restart per episode.
    CHECK(health.record(ProbeRole::liveness, false, "x").kind == Kind::none);
}

TEST_CASE("startup gates the other probes and ends the attempt at its threshold") {
    manifests::Health h;
    h.startup = probe(2);
    h.liveness = probe(1);
    h.readiness = probe(1);
    WorkloadHealth health(h);
    CHECK(health.active(ProbeRole::startup));
    CHECK_FALSE(health.active(ProbeRole::liveness));
    CHECK_FALSE(health.active(ProbeRole::readiness));
    CHECK(health.status() == "starting");
    CHECK_FALSE(health.ready());
    // A result of an inactive probe changes nothing.
    CHECK(health.record(ProbeRole::liveness, false, "x").kind == Kind::none);
    CHECK(health.record(ProbeRole::startup, false, "refused").kind == Kind::none);
    CHECK(health.record(ProbeRole::startup, true, "").kind == Kind::started);
    CHECK_FALSE(health.active(ProbeRole::startup));
    CHECK(health.active(ProbeRole::liveness));
    CHECK(health.status() == "starting");  // readiness has not passed yet

    WorkloadHealth failing(h);
    CHECK(failing.record(ProbeRole::startup, false, "a").kind == Kind::none);
    auto d = failing.record(ProbeRole::startup, false, "connect: Connection refused");
    CHECK(d.kind == Kind::restart);
    CHECK(d.message == "startup failed: connect: Connection refused");
}

TEST_CASE("readiness needs successThreshold successes, reports unready only after ready") {
    manifests::Health h;
    h.readiness = probe(2, 2);
    WorkloadHealth health(h);
    CHECK_FALSE(health.ready());
    CHECK(health.record(ProbeRole::readiness, false, "a").kind == Kind::none);
    CHECK(health.record(ProbeRole::readiness, false, "b").kind == Kind::none);  // never ready
    CHECK(health.status() == "starting");
    CHECK(health.record(ProbeRole::readiness, true, "").kind == Kind::none);
    CHECK(health.record(ProbeRole::readiness, true, "").kind == Kind::ready);
    CHECK(health.ready());
    CHECK(health.status() == "healthy");
    CHECK(health.record(ProbeRole::readiness, false, "http 500").kind == Kind::none);
    auto d = health.record(ProbeRole::readiness, false, "http 503");
    CHECK(d.kind == Kind::unready);
    CHECK(d.message == "readiness failed: http 503");
    CHECK_FALSE(health.ready());
    CHECK(health.status() == "unhealthy");
}

TEST_CASE("a workload without probes is ready at once and reports no health") {
    WorkloadHealth health(manifests::Health{});
    CHECK(health.ready());
    CHECK(health.started());
    CHECK(health.status().empty());
}

TEST_CASE("probe schedule: initial delay, then interval from start, never overlapping") {
    manifests::Probe p;
    p.initial_delay = std::chrono::seconds(5);
    p.interval = std::chrono::seconds(10);
    SteadyTime t0{};
    CHECK(first_run(p, t0) == t0 + std::chrono::seconds(5));
    CHECK(next_run(p, t0, t0 + std::chrono::seconds(1)) == t0 + std::chrono::seconds(10));
    CHECK(next_run(p, t0, t0 + std::chrono::seconds(12)) == t0 + std::chrono::seconds(12));
}

TEST_CASE("an exec probe's detail is its status and last line of output") {
    CHECK(exec_detail(1 << 8, "checking\nno space left\n\n") == "exit 1: no space left");
    CHECK(exec_detail(0, "") == "exit 0");
    CHECK(exec_detail(SIGKILL, "partial") == "killed by SIGKILL: partial");
    CHECK(exec_detail(2 << 8, std::string(500, 'x')).size() ==
          std::string("exit 2: ").size() + 200);
}
