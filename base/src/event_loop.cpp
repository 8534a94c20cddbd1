#include "edgevisor/event_loop.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "edgevisor/log.hpp"

namespace edgevisor {
namespace {

// epoll data of the loop's own fds; sources get ids from 1 upwards.
constexpr std::uint64_t kWakeId = UINT64_MAX;
constexpr std::uint64_t kTimerId = UINT64_MAX - 1;
constexpr std::uint64_t kSignalId = UINT64_MAX - 2;

enum class Kind { io, timer, signal, prepare };

timespec to_timespec(EventLoop::Clock::time_point t) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // 0 would disarm the timerfd; 1 ns is long past: it fires at once
    return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

}  // namespace

struct EventLoop::Entry {
    Kind kind = Kind::io;
    Priority priority = Priority::io;
    int fd = -1;  // io; or the signal number
    IoHandler io;
    Handler fn;
    Clock::time_point deadline{};
    bool essential = false;
    bool enabled = true;
};

// ---- Source ------------------------------------------------------------------------------

Source::Source(Source&& other) noexcept
    : loop_(std::exchange(other.loop_, nullptr)), id_(other.id_) {}

Source& Source::operator=(Source&& other) noexcept {
    if (this != &other) {
        reset();
        loop_ = std::exchange(other.loop_, nullptr);
        id_ = other.id_;
    }
    return *this;
}

void Source::reset() {
    if (loop_ != nullptr) std::exchange(loop_, nullptr)->remove(id_);
}

Status Source::modify(std::uint32_t events) {
    if (loop_ == nullptr) return fail("event_loop", "modify: source not registered", EINVAL);
    return loop_->modify(id_, events);
}

void Source::set_essential(bool essential) {
    if (loop_ != nullptr) loop_->set_essential(id_, essential);
}

// ---- EventLoop ---------------------------------------------------------------------------

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
    std::unique_ptr<EventLoop> loop(new EventLoop());
    if (auto st = loop->init(); !st) return std::unexpected(st.error());
    return loop;
}

Status EventLoop::init() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return fail_errno("event_loop", "epoll_create1");
    wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    sigset_t none;
    ::sigemptyset(&none);
    signal_fd_.reset(::signalfd(-1, &none, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!wake_ || !timer_ || !signal_fd_) return fail_errno("event_loop", "eventfd/timerfd");
    for (auto [fd, id] : {std::pair{wake_.get(), kWakeId}, std::pair{timer_.get(), kTimerId},
                          std::pair{signal_fd_.get(), kSignalId}}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = id;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            return fail_errno("event_loop", "epoll_ctl");
    }
    return {};
}

EventLoop::~EventLoop() {
    // Signals we blocked go back to their default disposition's delivery.
    sigset_t mask;
    ::sigemptyset(&mask);
    for (auto& [sig, id] : signals_) ::sigaddset(&mask, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);
}

std::uint64_t EventLoop::add_entry(std::shared_ptr<Entry> entry) {
    std::uint64_t id = next_id_++;
    entries_.emplace(id, std::move(entry));
    return id;
}

Source EventLoop::add_io(int fd, std::uint32_t events, IoHandler fn, Priority priority) {
    auto entry = std::make_shared<Entry>();
    entry->kind = Kind::io;
    entry->priority = priority;
    entry->fd = fd;
    entry->io = std::move(fn);
    std::uint64_t id = add_entry(entry);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        log::error("event loop: cannot watch fd {}: {}", fd, std::strerror(errno));
        entry->enabled = false;
    }
    return Source(this, id);
}

Source EventLoop::add_pidfd(int pidfd, Handler fn) {
    return add_io(
        pidfd, EPOLLIN, [fn = std::move(fn)](std::uint32_t) { return fn(); }, Priority::process);
}

Source EventLoop::add_timer(Clock::time_point deadline, Handler fn) {
    auto entry = std::make_shared<Entry>();
    entry->kind = Kind::timer;
    entry->priority = Priority::timer;
    entry->fn = std::move(fn);
    entry->deadline = deadline;
    std::uint64_t id = add_entry(entry);
    timers_.emplace(std::pair{deadline, id}, id);
    rearm_timer();
    return Source(this, id);
}

Source EventLoop::add_signal(int signal, Handler fn) {
    auto entry = std::make_shared<Entry>();
    entry->kind = Kind::signal;
    entry->priority = Priority::signal;
    entry->fd = signal;
    entry->fn = std::move(fn);
    std::uint64_t id = add_entry(entry);
    if (auto old = signals_.find(signal); old != signals_.end()) entries_.erase(old->second);
    signals_[signal] = id;
    sigset_t mask;
    ::sigemptyset(&mask);
    for (auto& [sig, ignored] : signals_) ::sigaddset(&mask, sig);
    ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    ::signalfd(signal_fd_.get(), &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    return Source(this, id);
}

Source EventLoop::add_prepare(Handler fn) {
    auto entry = std::make_shared<Entry>();
    entry->kind = Kind::prepare;
    entry->fn = std::move(fn);
    std::uint64_t id = add_entry(entry);
    prepares_.push_back(id);
    return Source(this, id);
}

void EventLoop::remove(std::uint64_t id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    auto entry = it->second;
    entries_.erase(it);
    switch (entry->kind) {
        case Kind::io:
            // ENOENT/EBADF: disabled already, or the owner closed the fd first.
            if (entry->enabled) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, entry->fd, nullptr);
            break;
        case Kind::timer:
            timers_.erase({entry->deadline, id});
            rearm_timer();
            break;
        case Kind::signal: {
            auto s = signals_.find(entry->fd);
            if (s == signals_.end() || s->second != id) break;
            signals_.erase(s);
            sigset_t mask, one;
            ::sigemptyset(&mask);
            for (auto& [sig, ignored] : signals_) ::sigaddset(&mask, sig);
            ::signalfd(signal_fd_.get(), &mask, SFD_CLOEXEC | SFD_NONBLOCK);
            ::sigemptyset(&one);
            ::sigaddset(&one, entry->fd);
            ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
            break;
        }
        case Kind::prepare:
            std::erase(prepares_, id);
            break;
    }
}

Status EventLoop::modify(std::uint64_t id, std::uint32_t events) {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second->kind != Kind::io)
        return fail("event_loop", "modify: not an io source", EINVAL);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, it->second->fd, &ev) != 0)
        return fail_errno("event_loop", "epoll_ctl(MOD)");
    return {};
}

void EventLoop::set_essential(std::uint64_t id, bool essential) {
    if (auto it = entries_.find(id); it != entries_.end()) it->second->essential = essential;
}

void EventLoop::rearm_timer() {
    // armed_ == time_point{} means "disarmed", so the earliest deadline we arm is 1 ns after the
    // clock's epoch: a timer at time_point{} (sd-bus says "now" so) or any time already past
    // then arms a timerfd that fires at once, instead of looking armed already and never firing.
    constexpr Clock::time_point kEarliest{std::chrono::nanoseconds(1)};
    Clock::time_point first =
        timers_.empty() ? Clock::time_point{} : std::max(timers_.begin()->first.first, kEarliest);
    if (first == armed_) return;
    armed_ = first;
    itimerspec when{};
    if (!timers_.empty()) when.it_value = to_timespec(first);
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &when, nullptr);
}

void EventLoop::dispatch(const std::shared_ptr<Entry>& entry, std::uint32_t events) {
    if (!entry->enabled) return;
    // `entry` is held by the caller, so the handler may remove its own source meanwhile.
    Status result = entry->kind == Kind::io ? entry->io(events) : entry->fn();
    if (result) return;
    if (entry->essential) {
        log::error("event loop: essential source failed: {}; exiting", result.error().describe());
        exit(1);
        return;
    }
    log::error("event loop: source failed: {}; disabling it", result.error().describe());
    if (entry->kind == Kind::io && entry->enabled)
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, entry->fd, nullptr);
    entry->enabled = false;
}

void EventLoop::run_timers() {
    std::uint64_t expirations = 0;
    (void)::read(timer_.get(), &expirations, sizeof expirations);
    armed_ = Clock::time_point{};  // the timerfd fired: it is disarmed now
    auto now = Clock::now();
    std::vector<std::shared_ptr<Entry>> due;
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
        std::uint64_t id = timers_.begin()->second;
        timers_.erase(timers_.begin());
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;
        due.push_back(it->second);
        entries_.erase(it);  // one-shot
    }
    rearm_timer();
    for (auto& entry : due) dispatch(entry, 0);
}

void EventLoop::run_signals() {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
        auto s = signals_.find(static_cast<int>(info.ssi_signo));
        if (s == signals_.end()) continue;
        auto it = entries_.find(s->second);
        if (it != entries_.end()) dispatch(std::shared_ptr<Entry>(it->second), 0);
    }
}

void EventLoop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(posted_mutex_);
        posted_.push_back(std::move(fn));
    }
    std::uint64_t one = 1;
    (void)::write(wake_.get(), &one, sizeof one);
}

void EventLoop::run_posted() {
    std::uint64_t count = 0;
    (void)::read(wake_.get(), &count, sizeof count);
    std::vector<std::function<void()>> work;
    {
        std::lock_guard lock(posted_mutex_);
        work.swap(posted_);
    }
    for (auto& fn : work) fn();
}

void EventLoop::run_prepare() {
    auto ids = prepares_;  // a prepare handler may add or remove prepare sources
    for (std::uint64_t id : ids)
        if (auto it = entries_.find(id); it != entries_.end())
            dispatch(std::shared_ptr<Entry>(it->second), 0);
}

Status EventLoop::run_once(std::chrono::milliseconds timeout) {
    run_prepare();
    if (exiting_) return {};
    epoll_event events[64];
    int n = ::epoll_wait(epoll_.get(), events, 64,
                         timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
    if (n < 0) {
        if (errno == EINTR) return {};
        return fail_errno("event_loop", "epoll_wait");
    }
    struct Ready {
        Priority priority;
        std::uint64_t id;
        std::uint32_t events;
    };
    std::vector<Ready> ready;
    ready.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::uint64_t id = events[i].data.u64;
        Priority p = Priority::io;
        if (id == kSignalId) {
            p = Priority::signal;
        } else if (id == kTimerId) {
            p = Priority::timer;
        } else if (id == kWakeId) {
            p = Priority::idle;
        } else if (auto it = entries_.find(id); it != entries_.end()) {
            p = it->second->priority;
        }
        ready.push_back({p, id, events[i].events});
    }
    std::stable_sort(ready.begin(), ready.end(),
                     [](const Ready& a, const Ready& b) { return a.priority < b.priority; });
    for (const Ready& r : ready) {
        if (exiting_) break;
        if (r.id == kSignalId) {
            run_signals();
        } else if (r.id == kTimerId) {
            run_timers();
        } else if (r.id == kWakeId) {
            run_posted();
        } else if (auto it = entries_.find(r.id); it != entries_.end()) {
            dispatch(std::shared_ptr<Entry>(it->second), r.events);
        }
    }
    return {};
}

int EventLoop::run() {
    while (!exiting_) {
        if (auto st = run_once(std::chrono::milliseconds(-1)); !st) {
            log::error("event loop: {}", st.error().describe());
            return 1;
        }
    }
    return exit_code_;
}

void EventLoop::exit(int code) {
    if (!exiting_) exit_code_ = code;
    exiting_ = true;
}

}  // namespace edgevisor
