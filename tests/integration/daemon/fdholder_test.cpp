// edgevisor-fdholder against the daemon's own client (FdStore): a burst of hand-overs far larger
// than the socket buffer, then a second "daemon" takes every pipe back. The holder reads every
// message waiting at each wake-up (fdholder_main.cpp); this proves none is lost doing so.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "edgevisor/event_loop.hpp"
#include "edgevisor/unique_fd.hpp"
#include "fd_store.hpp"

using namespace edgevisor;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char pattern[] = "/tmp/edgevisor-fdholder-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

TEST_CASE("fdholder: every pipe of a burst of 1500 hand-overs comes back to the next daemon") {
    TempDir runtime;
    constexpr int kPipes = 1500;  // 1500 puts: about five times what the socket buffer holds
    std::vector<UniqueFd> writers;
    {
        auto loop = EventLoop::create();
        REQUIRE(loop);
        auto store = supervisor::FdStore::open(runtime.path, EDGEVISOR_FDHOLDER);
        REQUIRE(store);
        auto previous = store->take_all();
        REQUIRE(previous);
        CHECK(previous->empty());
        store->attach(**loop);
        for (int i = 0; i < kPipes; ++i) {
            int fds[2];
            REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
            UniqueFd read_end{fds[0]};
            writers.emplace_back(fds[1]);
            store->put("pipe-" + std::to_string(i), read_end.get());  // the store keeps a dup
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (store->queued() > 0 && std::chrono::steady_clock::now() < deadline)
            REQUIRE((*loop)->run_once(std::chrono::milliseconds(100)));
        REQUIRE(store->queued() == 0);
    }  // this "daemon" is gone; the holder keeps the pipes (their writers are open)

    auto store = supervisor::FdStore::open(runtime.path, EDGEVISOR_FDHOLDER);
    REQUIRE(store);
    auto taken = store->take_all();
    REQUIRE(taken);
    REQUIRE(taken->size() == static_cast<std::size_t>(kPipes));
    for (int i = 0; i < kPipes; ++i) {
        const std::string tag = "pipe-" + std::to_string(i);
        auto held = taken->find(tag);
        REQUIRE(held != taken->end());
        // The very pipe: what goes in its write end comes out of the descriptor handed back.
        REQUIRE(::write(writers[static_cast<std::size_t>(i)].get(), tag.data(), tag.size()) ==
                static_cast<ssize_t>(tag.size()));
        char buffer[32] = {};
        REQUIRE(::read(held->second.get(), buffer, sizeof buffer) ==
                static_cast<ssize_t>(tag.size()));
        CHECK(std::string(buffer, tag.size()) == tag);
    }
}
