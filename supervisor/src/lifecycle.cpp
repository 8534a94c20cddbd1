#include "lifecycle.hpp"

namespace edgevisor::supervisor {
std::string_view visible_state(State state) {
    // systemd's state_translation_table: several internal states read the same outside.
    static constexpr std::array<std::string_view, kStates> kVisible{
        "pending", "waiting", "starting", "running", "stopping",  "stopping",
        "exited",  "failed",  "stopped",  "backoff", "crash-loop"};
    return kVisible[static_cast<std::size_t>(state)];
}

std::string_view state_name(State state) {
    static constexpr std::array<std::string_view, kStates> kNames{
        "pending", "waiting", "starting", "running", "stop-signal", "stop-kill",
        "exited",  "failed",  "stopped",  "backoff", "crash-loop"};
    return kNames[static_cast<std::size_t>(state)];
}

std::string_view event_name(Event event) {
    static constexpr std::array<std::string_view, kEvents> kNames{
        "want-up",          "want-down",  "deps-ready",   "launched", "ended-restart",
        "ended-crash-loop", "ended-done", "ended-failed", "timer",    "stop-timeout"};
    return kNames[static_cast<std::size_t>(event)];
}

std::string_view action_name(Action action) {
    static constexpr std::array<std::string_view, 8> kNames{
        "nop", "check-deps", "launch", "send-stop", "kill", "arm-backoff", "settle", "finish-stop"};
    return kNames[static_cast<std::size_t>(action)];
}

bool is_down(State state) {
    switch (state) {
        case State::pending:
        case State::waiting:
        case State::exited:
        case State::failed:
        case State::stopped:
        case State::backoff:
        case State::crash_loop:
            return true;
        case State::starting:
        case State::running:
        case State::stop_signal:
        case State::stop_kill:
            return false;
    }
    return true;
}

}  // namespace edgevisor::supervisor
