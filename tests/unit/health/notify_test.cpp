#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "edgevisor/health/notify.hpp"

using namespace edgevisor;
using namespace edgevisor::health;

TEST_CASE("notify messages: the keys we act on, others ignored") {
    auto m = parse_notify("READY=1\nSTATUS=Listening on 8080\nMAINPID=42\nX-CUSTOM=1\n");
    REQUIRE(m.has_value());
    CHECK(m->ready);
    CHECK_FALSE(m->stopping);
    CHECK(m->status == "Listening on 8080");
    auto w = parse_notify("WATCHDOG=1");
    REQUIRE(w.has_value());
    CHECK(w->watchdog_ping);
    CHECK_FALSE(w->ready);
    auto t = parse_notify("WATCHDOG=trigger\nWATCHDOG_USEC=2000000\nSTOPPING=1");
    REQUIRE(t.has_value());
    CHECK(t->watchdog_trigger);
    CHECK(t->watchdog_usec == 2000000u);
    CHECK(t->stopping);
    auto ctl = parse_notify(std::string("STATUS=a\tb\x1b[31m"));
    REQUIRE(ctl.has_value());
    CHECK(ctl->status == "a?b?[31m");
    CHECK(parse_notify("STATUS=" + std::string(1000, 'x'))->status->size() == kNotifyStatusMax);
}

TEST_CASE("malformed notify messages are refused with the reason") {
    CHECK(parse_notify("").error().message == "empty notification");
    CHECK(parse_notify("READY=2").error().message == "READY=2: only READY=1 is defined");
    CHECK(parse_notify("WATCHDOG_USEC=soon").error().message ==
          "WATCHDOG_USEC=soon: expected microseconds > 0");
    CHECK(parse_notify("WATCHDOG=yes").error().message == "WATCHDOG=yes: expected 1 or trigger");
    CHECK(parse_notify(std::string("READY=1\0x", 9)).error().message ==
          "notification contains a NUL byte");
    CHECK_FALSE(parse_notify(std::string(kNotifyDatagramMax + 1, 'a')).has_value());
}

TEST_CASE("a sender counts only at or below the workload's cgroup") {
    const std::string_view cg = "/edgevisor/workloads/db";
    CHECK(cgroup_contains("0::/edgevisor/workloads/db\n", cg));
    CHECK(cgroup_contains("12:memory:/x\n0::/edgevisor/workloads/db/probe-3\n", cg));
    CHECK_FALSE(cgroup_contains("0::/edgevisor/workloads/db2\n", cg));
    CHECK_FALSE(cgroup_contains("0::/edgevisor/supervisor\n", cg));
    CHECK_FALSE(cgroup_contains("1:name=systemd:/edgevisor/workloads/db\n", cg));
    CHECK(cgroup_contains("0::/edgevisor/workloads/db\n", "/edgevisor/workloads/db/"));
}

TEST_CASE("the notify socket receives a datagram with the sender's pid") {
    auto path = std::filesystem::temp_directory_path() /
                ("edgevisor-notify-test-" + std::to_string(::getpid()) + ".sock");
    auto fd = open_notify_socket(path.string());
    REQUIRE(fd.has_value());
    auto none = receive_notify(fd->get());
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
    UniqueFd client{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    const char text[] = "READY=1\nSTATUS=up";
    REQUIRE(::sendto(client.get(), text, sizeof text - 1, 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof addr) == static_cast<ssize_t>(sizeof text - 1));
    auto got = receive_notify(fd->get());
    REQUIRE(got.has_value());
    REQUIRE(got->has_value());
    CHECK((*got)->text == "READY=1\nSTATUS=up");
    CHECK((*got)->sender == ::getpid());
    ::unlink(path.c_str());
}
