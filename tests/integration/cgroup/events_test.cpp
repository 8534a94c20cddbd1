// cgroup.events through the CgroupWatcher's inotify fd: populated transitions (children
// included) and frozen/thawed, as the daemon's event loop will see them.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cgroup_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;
using isolation::CgroupEventKind;

namespace {

// Drains until an event of `kind` arrives (or 5 s pass); returns every event seen.
std::vector<isolation::CgroupEvent> wait_for(isolation::CgroupWatcher& watcher,
                                             CgroupEventKind kind) {
    std::vector<isolation::CgroupEvent> seen;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!wait_readable(watcher.fd(), 500ms)) continue;
        auto events = watcher.drain();
        REQUIRE(events.has_value());
        seen.insert(seen.end(), events->begin(), events->end());
        for (const auto& e : *events)
            if (e.kind == kind) return seen;
    }
    return seen;
}

bool has(const std::vector<isolation::CgroupEvent>& events, CgroupEventKind kind,
         const std::string& workload) {
    for (const auto& e : events)
        if (e.kind == kind && e.workload == workload) return true;
    return false;
}

}  // namespace

TEST_CASE("cgroup.events: populated when a process enters, emptied when the last one leaves") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("events");
    REQUIRE(cgroup.has_value());
    auto watcher = isolation::CgroupWatcher::create();
    REQUIRE(watcher.has_value());
    REQUIRE(watcher->watch("events", *cgroup).has_value());
    // The baseline is not an event.
    auto initial = watcher->drain();
    REQUIRE(initial.has_value());
    CHECK(initial->empty());

    int release[2];
    REQUIRE(::pipe2(release, O_CLOEXEC) == 0);
    UniqueFd read_end(release[0]), write_end(release[1]);
    // The main process forks a child that outlives it: "emptied" must wait for the child too.
    auto main = spawn_into(cgroup->dir_fd(), [&] {
        write_end.reset();
        if (::fork() == 0) {
            char byte;
            (void)!::read(read_end.get(), &byte, 1);
            ::_exit(0);
        }
        ::_exit(0);
    });
    read_end.reset();
    auto populated = wait_for(*watcher, CgroupEventKind::populated);
    CHECK(has(populated, CgroupEventKind::populated, "events"));

    REQUIRE(isolation::wait_exit(main).has_value());  // the main process is gone...
    auto state = cgroup->state();
    REQUIRE(state.has_value());
    CHECK(state->populated);  // ...but its child keeps the workload populated
    auto early = watcher->drain();
    REQUIRE(early.has_value());
    CHECK_FALSE(has(*early, CgroupEventKind::emptied, "events"));

    write_end.reset();  // the child reads EOF and exits
    auto emptied = wait_for(*watcher, CgroupEventKind::emptied);
    CHECK(has(emptied, CgroupEventKind::emptied, "events"));
    CHECK_FALSE(cgroup->state()->populated);
}

TEST_CASE("cgroup.events: frozen and thawed are reported") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("freezing");
    REQUIRE(cgroup.has_value());
    auto watcher = isolation::CgroupWatcher::create();
    REQUIRE(watcher.has_value());
    REQUIRE(watcher->watch("freezing", *cgroup).has_value());
    auto child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
    REQUIRE(cgroup->freeze().has_value());
    CHECK(has(wait_for(*watcher, CgroupEventKind::frozen), CgroupEventKind::frozen, "freezing"));
    REQUIRE(cgroup->thaw().has_value());
    CHECK(has(wait_for(*watcher, CgroupEventKind::thawed), CgroupEventKind::thawed, "freezing"));
    REQUIRE(isolation::stop(*cgroup, &child, {.grace = 1s}).has_value());
}

TEST_CASE("an unwatched workload reports nothing more") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("unwatched");
    REQUIRE(cgroup.has_value());
    auto watcher = isolation::CgroupWatcher::create();
    REQUIRE(watcher.has_value());
    REQUIRE(watcher->watch("unwatched", *cgroup).has_value());
    watcher->unwatch("unwatched");
    auto child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
    // The fd may turn readable with the kernel's IN_IGNORED for the removed watch; drain()
    // must still report nothing.
    (void)wait_readable(watcher->fd(), 300ms);
    auto events = watcher->drain();
    REQUIRE(events.has_value());
    CHECK(events->empty());
    REQUIRE(isolation::stop(*cgroup, &child, {.grace = 0ms}).has_value());
}

TEST_CASE("stopping a watched workload reports emptied, removing it then reports nothing") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("removed");
    REQUIRE(cgroup.has_value());
    auto watcher = isolation::CgroupWatcher::create();
    REQUIRE(watcher.has_value());
    REQUIRE(watcher->watch("removed", *cgroup).has_value());
    auto child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
    CHECK(
        has(wait_for(*watcher, CgroupEventKind::populated), CgroupEventKind::populated, "removed"));
    // Without removal: the kernel delivers the (rate-limited) populated 0 notification. (An
    // rmdir right after would cancel a pending one; see CgroupWatcher in cgroup.hpp.)
    REQUIRE(isolation::stop(*cgroup, &child, {.grace = 0ms, .remove = false}).has_value());
    CHECK(has(wait_for(*watcher, CgroupEventKind::emptied), CgroupEventKind::emptied, "removed"));
    REQUIRE(cgroup->remove().has_value());
    (void)wait_readable(watcher->fd(), 200ms);
    auto rest = watcher->drain();
    REQUIRE(rest.has_value());
    CHECK(rest->empty());
    watcher->unwatch("removed");
    REQUIRE(isolation::wait_exit(child).has_value());
}
