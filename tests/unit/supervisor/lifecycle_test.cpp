// The lifecycle table, transition by transition, and the README's copy of it.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "lifecycle.hpp"

using namespace edgevisor::supervisor;

namespace {

struct Expected {
    State from;
    Event event;
    State next;
    Action action;
};

// Every cell that does something; all others must be "stay, nop".
const std::vector<Expected> kActive = {
    {State::pending, Event::want_up, State::waiting, Action::check_deps},
    {State::pending, Event::want_down, State::stopped, Action::finish_stop},
    {State::waiting, Event::want_down, State::stopped, Action::finish_stop},
    {State::waiting, Event::deps_ready, State::starting, Action::launch},
    {State::starting, Event::want_down, State::stop_signal, Action::send_stop},
    {State::starting, Event::launched, State::running, Action::nop},
    {State::starting, Event::ended_restart, State::backoff, Action::arm_backoff},
    {State::starting, Event::ended_crash_loop, State::crash_loop, Action::arm_backoff},
    {State::starting, Event::ended_done, State::exited, Action::settle},
    {State::starting, Event::ended_failed, State::failed, Action::settle},
    {State::running, Event::want_down, State::stop_signal, Action::send_stop},
    {State::running, Event::ended_restart, State::backoff, Action::arm_backoff},
    {State::running, Event::ended_crash_loop, State::crash_loop, Action::arm_backoff},
    {State::running, Event::ended_done, State::exited, Action::settle},
    {State::running, Event::ended_failed, State::failed, Action::settle},
    {State::stop_signal, Event::ended_restart, State::stopped, Action::finish_stop},
    {State::stop_signal, Event::ended_crash_loop, State::stopped, Action::finish_stop},
    {State::stop_signal, Event::ended_done, State::stopped, Action::finish_stop},
    {State::stop_signal, Event::ended_failed, State::stopped, Action::finish_stop},
    {State::stop_signal, Event::stop_timeout, State::stop_kill, Action::kill},
    {State::stop_kill, Event::ended_restart, State::stopped, Action::finish_stop},
    {State::stop_kill, Event::ended_crash_loop, State::stopped, Action::finish_stop},
    {State::stop_kill, Event::ended_done, State::stopped, Action::finish_stop},
    {State::stop_kill, Event::ended_failed, State::stopped, Action::finish_stop},
    {State::exited, Event::want_up, State::waiting, Action::check_deps},
    {State::exited, Event::want_down, State::stopped, Action::finish_stop},
    {State::failed, Event::want_up, State::waiting, Action::check_deps},
    {State::failed, Event::want_down, State::stopped, Action::finish_stop},
    {State::stopped, Event::want_up, State::waiting, Action::check_deps},
    {State::stopped, Event::want_down, State::stopped, Action::finish_stop},
    {State::backoff, Event::want_down, State::stopped, Action::finish_stop},
    {State::backoff, Event::timer, State::waiting, Action::check_deps},
    {State::crash_loop, Event::want_down, State::stopped, Action::finish_stop},
    {State::crash_loop, Event::timer, State::waiting, Action::check_deps},
};

std::string cell_text(State s, Event e) {
    auto t = transition(s, e);
    return std::string(state_name(s)) + " + " + std::string(event_name(e)) + " -> " +
           std::string(state_name(t.next)) + " (" + std::string(action_name(t.action)) + ")";
}

}  // namespace

TEST_CASE("every active transition of the lifecycle table") {
    for (const auto& e : kActive) {
        INFO(cell_text(e.from, e.event));
        auto t = transition(e.from, e.event);
        CHECK(t.next == e.next);
        CHECK(t.action == e.action);
    }
}

TEST_CASE("every other cell of the lifecycle table stays and does nothing") {
    std::set<std::pair<int, int>> active;
    for (const auto& e : kActive)
        active.insert({static_cast<int>(e.from), static_cast<int>(e.event)});
    for (std::size_t s = 0; s < kStates; ++s)
        for (std::size_t e = 0; e < kEvents; ++e) {
            if (active.contains({static_cast<int>(s), static_cast<int>(e)})) continue;
            auto state = static_cast<State>(s);
            auto event = static_cast<Event>(e);
            INFO(cell_text(state, event));
            CHECK(transition(state, event).next == state);
            CHECK(transition(state, event).action == Action::nop);
        }
}

TEST_CASE("the table is usable at compile time") {
    static_assert(kTransitions[static_cast<std::size_t>(State::waiting)]
                              [static_cast<std::size_t>(Event::deps_ready)]
                                  .action == Action::launch);
    CHECK(kTransitions.size() == kStates);
}

TEST_CASE("visible states: the stop states read as stopping") {
    CHECK(visible_state(State::stop_signal) == "stopping");
    CHECK(visible_state(State::stop_kill) == "stopping");
    CHECK(visible_state(State::crash_loop) == "crash-loop");
    CHECK(visible_state(State::running) == "running");
}

// README "Workload states" lists the active cells as "| from | event | to | action |" rows.
TEST_CASE("the README's transition table is the code's") {
    std::ifstream readme(EDGEVISOR_SOURCE_DIR "/README.md");
    REQUIRE(readme);
    std::string line;
    std::set<std::string> documented;
    bool in_table = false;
    while (std::getline(readme, line)) {
        if (line.starts_with("<!-- lifecycle-table -->")) in_table = !in_table;
        if (!in_table || !line.starts_with("| `")) continue;
        std::vector<std::string> cells;
        std::stringstream row(line);
        std::string cell;
        while (std::getline(row, cell, '|')) {
            auto b = cell.find('`'), e = cell.rfind('`');
            if (b != std::string::npos && e > b) cells.push_back(cell.substr(b + 1, e - b - 1));
        }
        if (cells.size() == 4)
            documented.insert(cells[0] + " + " + cells[1] + " -> " + cells[2] + " (" + cells[3] +
                              ")");
    }
    std::set<std::string> code;
    for (const auto& e : kActive) code.insert(cell_text(e.from, e.event));
    CHECK(documented == code);
}
