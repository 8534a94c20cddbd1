// edgevisor/log.hpp: the level decides what is written, messages keep their text, and tests
// can capture what a user would read on stderr.
#include <catch2/catch.hpp>

#include "edgevisor/log.hpp"

using namespace edgevisor;

TEST_CASE("log: messages below the level are dropped, the others written with their level") {
    log::Capture capture;
    log::set_level(log::Level::warn);
    CHECK_FALSE(log::enabled(log::Level::info));
    CHECK(log::enabled(log::Level::error));
    log::info("{}: not shown", "sensor");
    log::warn("{}: seccomp: unknown syscall {}", "sensor", "foo");
    log::set_level(log::Level::debug);
    log::debug("{}: started pid {}", "sensor", 42);
    log::set_level(log::Level::info);
    log::debug("{}: dropped again", "sensor");

    const std::string text = capture.text();
    INFO(text);
    CHECK(text.find("not shown") == std::string::npos);
    CHECK(text.find("dropped again") == std::string::npos);
    CHECK(text.find("[warning] sensor: seccomp: unknown syscall foo\n") != std::string::npos);
    CHECK(text.find("[debug] sensor: started pid 42\n") != std::string::npos);
}
