// The event loop: owned sources, timers in deadline order, removal from inside a callback,
// post() from another thread, signals, failing sources disabled.
#include <signal.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <thread>

#include "edgevisor/event_loop.hpp"

using namespace edgevisor;
using namespace std::chrono_literals;

TEST_CASE("timers run in deadline order, a destroyed Source never runs") {
    auto loop = std::move(*EventLoop::create());
    std::vector<int> order;
    auto now = EventLoop::now();
    auto b = loop->add_timer(now + 20ms, [&] {
        order.push_back(2);
        return Status{};
    });
    auto a = loop->add_timer(now + 10ms, [&] {
        order.push_back(1);
        return Status{};
    });
    auto gone = loop->add_timer(now + 15ms, [&] {
        order.push_back(99);
        return Status{};
    });
    auto end = loop->add_timer(now + 30ms, [&] {
        loop->exit(7);
        return Status{};
    });
    gone.reset();
    CHECK(loop->run() == 7);
    CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("a callback may remove its own and other sources") {
    auto loop = std::move(*EventLoop::create());
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    Source self, other;
    int calls = 0;
    self = loop->add_io(fds[0], EPOLLIN, [&](std::uint32_t) {
        ++calls;
        self.reset();
        other.reset();
        return Status{};
    });
    other = loop->add_io(fds[0], EPOLLIN, [&](std::uint32_t) {
        ++calls;
        self.reset();
        other.reset();
        return Status{};
    });
    REQUIRE(::write(fds[1], "x", 1) == 1);
    REQUIRE(loop->run_once(1000ms));
    REQUIRE(loop->run_once(10ms));
    CHECK(calls == 1);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("post() from another thread wakes the loop and runs on it") {
    auto loop = std::move(*EventLoop::create());
    std::thread::id ran_on;
    std::thread poster([&] {
        loop->post([&] {
            ran_on = std::this_thread::get_id();
            loop->exit(0);
        });
    });
    CHECK(loop->run() == 0);
    poster.join();
    CHECK(ran_on == std::this_thread::get_id());
}

TEST_CASE("signals arrive through the loop before other sources") {
    auto loop = std::move(*EventLoop::create());
    std::vector<std::string> order;
    auto timer = loop->add_timer(EventLoop::now(), [&] {
        order.push_back("timer");
        return Status{};
    });
    auto sig = loop->add_signal(SIGUSR1, [&] {
        order.push_back("signal");
        return Status{};
    });
    ::kill(::getpid(), SIGUSR1);
    std::this_thread::sleep_for(5ms);
    REQUIRE(loop->run_once(1000ms));
    CHECK(order == std::vector<std::string>{"signal", "timer"});
}

TEST_CASE("a failing source is disabled, an essential one ends the loop") {
    auto loop = std::move(*EventLoop::create());
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], "x", 1) == 1);
    int calls = 0;
    auto failing = loop->add_io(fds[0], EPOLLIN, [&](std::uint32_t) -> Status {
        ++calls;
        return fail("test", "broken");
    });
    REQUIRE(loop->run_once(100ms));
    REQUIRE(loop->run_once(20ms));
    CHECK(calls == 1);  // level-triggered and still readable, but disabled
    auto essential =
        loop->add_timer(EventLoop::now(), [] { return Status(fail("test", "fatal")); });
    essential.set_essential();
    CHECK(loop->run() == 1);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("prepare sources run before every wait") {
    auto loop = std::move(*EventLoop::create());
    int prepared = 0;
    auto prepare = loop->add_prepare([&] {
        ++prepared;
        return Status{};
    });
    REQUIRE(loop->run_once(0ms));
    REQUIRE(loop->run_once(0ms));
    CHECK(prepared == 2);
}

namespace {

// Runs iterations until `done` or a generous deadline (never a timing assertion).
bool run_until(EventLoop& loop, const bool& done) {
    auto until = EventLoop::now() + 10s;
    while (!done && EventLoop::now() < until)
        if (!loop.run_once(100ms)) return false;
    return done;
}

}  // namespace

TEST_CASE("a timer at the clock's epoch or any time already past fires at once") {
    auto loop = std::move(*EventLoop::create());
    bool epoch = false, past = false;
    SECTION("at time_point{} with nothing else armed") {
        auto timer = loop->add_timer(EventLoop::Clock::time_point{}, [&] {
            epoch = true;
            return Status{};
        });
        CHECK(run_until(*loop, epoch));
    }
    SECTION("an hour ago") {
        auto timer = loop->add_timer(EventLoop::now() - 1h, [&] {
            past = true;
            return Status{};
        });
        CHECK(run_until(*loop, past));
    }
    SECTION("at time_point{} while a later timer is armed, and again from its own handler") {
        bool later = false;
        int fired = 0;
        auto far = loop->add_timer(EventLoop::now() + 1h, [&] {
            later = true;
            return Status{};
        });
        Source again;
        auto first = loop->add_timer(EventLoop::Clock::time_point{}, [&] {
            ++fired;
            again = loop->add_timer(EventLoop::Clock::time_point{}, [&] {
                ++fired;
                epoch = true;
                return Status{};
            });
            return Status{};
        });
        CHECK(run_until(*loop, epoch));
        CHECK(fired == 2);
        CHECK_FALSE(later);
    }
}
