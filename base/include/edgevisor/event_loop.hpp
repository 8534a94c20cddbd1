// One thread's event loop: epoll over the fds of typed sources (sd-event's model). Every
// registration returns a Source that owns it: destroying the Source deregisters it, so no
// callback outlives the object that registered it.
//
//   EventLoop loop;
//   auto sig = loop.add_signal(SIGTERM, [&] { loop.exit(0); return Status{}; });
//   auto io = loop.add_io(fd, EPOLLIN, [&](std::uint32_t events) { ...; return Status{}; });
//   return loop.run();
//
// Dispatch: one epoll_wait per iteration; what is ready runs by priority (signals and pidfds
// first, then timers, then I/O, then posted work), so a flood of bus or log traffic cannot
// delay an exit or a SIGTERM. A callback that returns an error is logged and its source is
// disabled, unless the source was made essential (then the loop exits with code 1).
// Callbacks may add and remove any source, their own included, while they run.
//
// Only post() may be called from other threads.
#pragma once

#include <sys/epoll.h>  // EPOLLIN, EPOLLOUT... for add_io

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor {

class EventLoop;

// A registration; the destructor removes it from its loop. Movable, not copyable.
class Source {
  public:
    Source() = default;
    Source(EventLoop* loop, std::uint64_t id) : loop_(loop), id_(id) {}
    Source(Source&& other) noexcept;
    Source& operator=(Source&& other) noexcept;
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;
    ~Source() { reset(); }

    [[nodiscard]] bool active() const { return loop_ != nullptr; }
    explicit operator bool() const { return active(); }
    void reset();
    // For io sources: change the epoll events (e.g. add EPOLLOUT while a write is pending).
    Status modify(std::uint32_t events);
    // An essential source's failure ends the loop (exit code 1) instead of disabling it.
    void set_essential(bool essential = true);

  private:
    EventLoop* loop_ = nullptr;
    std::uint64_t id_ = 0;
};

enum class Priority : int { signal = 0, process = 1, timer = 2, io = 3, idle = 4 };

class EventLoop {
  public:
    using Clock = std::chrono::steady_clock;
    using IoHandler = std::function<Status(std::uint32_t events)>;
    using Handler = std::function<Status()>;

    // Creates epoll, the wake-up eventfd, the timerfd and the signalfd.
    static Result<std::unique_ptr<EventLoop>> create();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // fd stays owned by the caller and must outlive the Source.
    Source add_io(int fd, std::uint32_t events, IoHandler fn, Priority priority = Priority::io);
    // A pidfd becomes readable when its process exits; fn runs once per readiness (reap it, or
    // reset the Source, or it fires again).
    Source add_pidfd(int pidfd, Handler fn);
    // Runs once at (or after) deadline. Timers with the same deadline run in order of creation.
    Source add_timer(Clock::time_point deadline, Handler fn);
    // The signal is blocked in the calling thread (and, when called before other threads start,
    // in every thread) and delivered through a signalfd. One handler per signal.
    Source add_signal(int signal, Handler fn);
    // Runs before every wait: the place to re-read a library's poll fd, events and timeout
    // (sd-bus) and to flush work batched during the iteration.
    Source add_prepare(Handler fn);

    // Thread-safe: queue fn to run on the loop thread and wake the loop.
    void post(std::function<void()> fn);

    // Runs until exit() is called; returns its code.
    int run();
    // One iteration: waits at most `timeout` (negative: until something happens).
    Status run_once(std::chrono::milliseconds timeout);
    void exit(int code);
    [[nodiscard]] bool exiting() const { return exiting_; }
    [[nodiscard]] static Clock::time_point now() { return Clock::now(); }

  private:
    friend class Source;
    struct Entry;
    EventLoop() = default;
    Status init();
    std::uint64_t add_entry(std::shared_ptr<Entry> entry);
    void remove(std::uint64_t id);
    Status modify(std::uint64_t id, std::uint32_t events);
    void set_essential(std::uint64_t id, bool essential);
    void dispatch(const std::shared_ptr<Entry>& entry, std::uint32_t events);
    void run_timers();
    void rearm_timer();
    void run_signals();
    void run_posted();
    void run_prepare();

    UniqueFd epoll_, wake_, timer_, signal_fd_;
    std::uint64_t next_id_ = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<Entry>> entries_;
    std::map<std::pair<Clock::time_point, std::uint64_t>, std::uint64_t> timers_;
    std::unordered_map<int, std::uint64_t> signals_;  // signal -> entry id
    std::vector<std::uint64_t> prepares_;
    Clock::time_point armed_{};
    std::mutex posted_mutex_;
    std::vector<std::function<void()>> posted_;
    bool exiting_ = false;
    int exit_code_ = 0;
};

}  // namespace edgevisor
