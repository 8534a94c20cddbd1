// The workload lifecycle as one table (s6-supervise's actions[state][event]): for every state
// and every event, the next state and the one action the executor performs. Every cell is
// filled; `nop` is explicit. The table never reads a manifest: the restart policy classifies an
// end (restart, crash loop, done, failed) before it becomes an event, and the planner decides
// what is wanted. README "Workload states" is this table in prose; lifecycle_test checks both.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace edgevisor::supervisor {

enum class State : std::uint8_t {
    pending,      // just created from desired state, nothing decided yet
    waiting,      // wanted, its dependencies are not there yet
    starting,     // launch in progress
    running,      // the main process runs
    stop_signal,  // stop requested: stopSignal sent, grace period (stopTimeout) running
    stop_kill,    // grace over: cgroup.kill sent, waiting for the main process to end (or its
                  // cgroup to be empty, executor.cpp kKillCheck)
    exited,       // ended successfully and the policy does not restart it
    failed,       // ended with a failure and the policy does not restart it
    stopped,      // stopped because it was asked to (or removed, or replaced)
    backoff,      // ended; restarts when the backoff timer fires
    crash_loop,   // as backoff, after crashLoopAfter quick failures in a row
};
inline constexpr std::size_t kStates = 11;

enum class Event : std::uint8_t {
    want_up,           // the planner (or start) wants it running
    want_down,         // the planner (or stop, remove, replace, shutdown) wants it down
    deps_ready,        // every dependsOn condition holds
    launched,          // execve succeeded
    ended_restart,     // the process ended (or its start failed); the policy restarts it
    ended_crash_loop,  // ... and it has failed quickly crashLoopAfter times in a row
    ended_done,        // ... successfully, not restarted
    ended_failed,      // ... with a failure, not restarted
    timer,             // the backoff timer fired
    stop_timeout,      // the stop grace period is over
};
inline constexpr std::size_t kEvents = 10;

enum class Action : std::uint8_t {
    nop,
    check_deps,   // look at the dependencies; fires deps_ready when they hold
    launch,       // start the process (fires launched or ended_*)
    send_stop,    // stopSignal to the main process, arm the grace timer
    kill,         // cgroup.kill
    arm_backoff,  // kill leftovers, arm the restart timer with the next backoff delay
    settle,       // kill leftovers of an ended run (exited / failed)
    finish_stop,  // leftovers killed, timers cancelled; then delete or replace if pending
};

struct Transition {
    State next;
    Action action;
};

// The externally visible state name of each internal state (README, status, D-Bus, MQTT).
std::string_view visible_state(State state);
std::string_view state_name(State state);  // internal name, for logs and tests
std::string_view event_name(Event event);
std::string_view action_name(Action action);

// The table itself; lookup is kTransitions[state][event].
namespace table {

using S = State;
using A = Action;

constexpr Transition T(S next, A action) {
    return {next, action};
}
// An explicit "nothing happens": the state stays, no action.
constexpr Transition stay(S self) {
    return {self, A::nop};
}
// A process that ends while being stopped is stopped, whatever the restart policy says.
constexpr Transition stopped_now = T(S::stopped, A::finish_stop);
constexpr Transition to_backoff = T(S::backoff, A::arm_backoff);
constexpr Transition to_crash_loop = T(S::crash_loop, A::arm_backoff);

// clang-format off
// Columns, in Event order:
//   want_up | want_down | deps_ready | launched | ended_restart | ended_crash_loop |
//   ended_done | ended_failed | timer | stop_timeout
inline constexpr std::array<std::array<Transition, kEvents>, kStates> kTransitions{{
    // pending
    {T(S::waiting, A::check_deps), T(S::stopped, A::finish_stop), stay(S::pending),
     stay(S::pending), stay(S::pending), stay(S::pending), stay(S::pending), stay(S::pending),
     stay(S::pending), stay(S::pending)},
    // waiting
    {stay(S::waiting), T(S::stopped, A::finish_stop), T(S::starting, A::launch), stay(S::waiting),
     stay(S::waiting), stay(S::waiting), stay(S::waiting), stay(S::waiting), stay(S::waiting),
     stay(S::waiting)},
    // starting
    {stay(S::starting), T(S::stop_signal, A::send_stop), stay(S::starting), T(S::running, A::nop),
     to_backoff, to_crash_loop, T(S::exited, A::settle), T(S::failed, A::settle),
     stay(S::starting), stay(S::starting)},
    // running
    {stay(S::running), T(S::stop_signal, A::send_stop), stay(S::running), stay(S::running),
     to_backoff, to_crash_loop, T(S::exited, A::settle), T(S::failed, A::settle),
     stay(S::running), stay(S::running)},
    // stop_signal
    {stay(S::stop_signal), stay(S::stop_signal), stay(S::stop_signal), stay(S::stop_signal),
     stopped_now, stopped_now, stopped_now, stopped_now, stay(S::stop_signal),
     T(S::stop_kill, A::kill)},
    // stop_kill
    {stay(S::stop_kill), stay(S::stop_kill), stay(S::stop_kill), stay(S::stop_kill), stopped_now,
     stopped_now, stopped_now, stopped_now, stay(S::stop_kill), stay(S::stop_kill)},
    // exited
    {T(S::waiting, A::check_deps), T(S::stopped, A::finish_stop), stay(S::exited), stay(S::exited),
     stay(S::exited), stay(S::exited), stay(S::exited), stay(S::exited), stay(S::exited),
     stay(S::exited)},
    // failed
    {T(S::waiting, A::check_deps), T(S::stopped, A::finish_stop), stay(S::failed), stay(S::failed),
     stay(S::failed), stay(S::failed), stay(S::failed), stay(S::failed), stay(S::failed),
     stay(S::failed)},
    // stopped
    {T(S::waiting, A::check_deps), T(S::stopped, A::finish_stop), stay(S::stopped),
     stay(S::stopped), stay(S::stopped), stay(S::stopped), stay(S::stopped), stay(S::stopped),
     stay(S::stopped), stay(S::stopped)},
    // backoff
    {stay(S::backoff), T(S::stopped, A::finish_stop), stay(S::backoff), stay(S::backoff),
     stay(S::backoff), stay(S::backoff), stay(S::backoff), stay(S::backoff),
     T(S::waiting, A::check_deps), stay(S::backoff)},
    // crash_loop
    {stay(S::crash_loop), T(S::stopped, A::finish_stop), stay(S::crash_loop), stay(S::crash_loop),
     stay(S::crash_loop), stay(S::crash_loop), stay(S::crash_loop), stay(S::crash_loop),
     T(S::waiting, A::check_deps), stay(S::crash_loop)},
}};
// clang-format on

}  // namespace table

using table::kTransitions;

inline Transition transition(State state, Event event) {
    return kTransitions[static_cast<std::size_t>(state)][static_cast<std::size_t>(event)];
}

// States where no process of the workload runs and none is being started.
bool is_down(State state);

}  // namespace edgevisor::supervisor
