// Shared pieces of the VM tests: they run only inside the guest that tests/vm/edgevisor-vm
// boots (every cgroup v2 controller available), as root, one test case per process.
#pragma once

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "id_range.hpp"
#include "skip.hpp"
#include "staged_program.hpp"

namespace edgevisor::vmtest {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr std::uint64_t kMiB = 1024 * 1024;
// vm_workload.cpp, where a workload can exec it (out of a build tree under /tmp, which a
// workload's fresh /tmp hides: staged_program copies it into the guest's root).
inline const std::string kWorkloadProgram = testing::staged_program(EDGEVISOR_VM_WORKLOAD);

// Outside the guest these tests would only meet the host's controller-less cgroup2 mount.
inline void require_vm() {
    testing::require_root();
    if (std::getenv("EDGEVISOR_IN_VM") == nullptr) {
        testing::skip("runs only inside the test VM: tests/vm/edgevisor-vm run --catch vm_cgroup");
    }
}

// Fails the test with the error's full text.
template <typename T>
T must(Result<T> result, const char* what) {
    INFO(what << ": " << (result ? std::string("ok") : result.error().describe()));
    REQUIRE(result.has_value());
    return std::move(*result);
}
inline void must(const Status& status, const char* what) {
    INFO(what << ": " << (status ? std::string("ok") : status.error().describe()));
    REQUIRE(status.has_value());
}

// A fresh standalone subtree per test case, removed at the end (workload cgroups first).
// Whether the kernel offers an interface file in this cgroup (memory.peak: Linux 5.19+; the
// suites boot 6.1 and 5.10).
inline bool kernel_has_file(const isolation::Cgroup& cgroup, const char* file) {
    return ::access((cgroup.path() + "/" + file).c_str(), F_OK) == 0;
}

inline isolation::CgroupTree open_tree(isolation::CgroupOptions options = {}) {
    options.subtree = "edgevisor-vm-test";
    options.remove_on_close = true;
    return must(isolation::CgroupTree::open(options), "open the cgroup tree");
}

// Parses and validates one manifest, as edgevisord would; "@WORKLOAD@" in it stands for the
// vm_workload program. Limits therefore go the whole way: YAML -> spec -> cgroup files.
inline manifests::Workload manifest(std::string yaml) {
    for (auto at = yaml.find("@WORKLOAD@"); at != std::string::npos; at = yaml.find("@WORKLOAD@"))
        yaml.replace(at, 10, kWorkloadProgram);
    auto loaded =
        manifests::parse_text("apiVersion: edgevisor/v1\nkind: Workload\n" + yaml, "vm-test.yaml");
    for (const auto& diagnostic : loaded.diagnostics) UNSCOPED_INFO(diagnostic.format());
    REQUIRE(loaded.ok());
    REQUIRE(loaded.workloads.size() == 1);
    return std::move(loaded.workloads.front());
}

// workloads/<name> in `tree`, with the manifest's limits applied (as the daemon's create step).
inline isolation::Cgroup cgroup_for(const isolation::CgroupTree& tree,
                                    const manifests::Workload& w) {
    auto cgroup = must(tree.create_workload(w.metadata.name), "create the workload's cgroup");
    must(cgroup.apply(w.spec.resources), "apply the manifest's limits");
    return cgroup;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

// The value of "key N" in a flat-keyed cgroup file (pids.events, memory.events, cpu.stat).
inline std::uint64_t keyed_value(const std::string& path, const std::string& key) {
    std::istringstream in(read_file(path));
    std::string k;
    std::uint64_t v = 0;
    while (in >> k >> v) {
        if (k == key) return v;
    }
    FAIL("no " << key << " in " << path);
    return 0;
}

// Polls `done` every 20 ms until it holds or `timeout` passes (tests may poll; the code under
// test may not).
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// A pipe whose write end becomes the workload's stdout.
struct OutputPipe {
    UniqueFd read_end, write_end;
    OutputPipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
    // Reads until `needle` appears, EOF, or the timeout; returns everything read so far.
    std::string read_until(const std::string& needle, std::chrono::milliseconds timeout) {
        auto deadline = Clock::now() + timeout;
        while (needle.empty() || text.find(needle) == std::string::npos) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd pfd{read_end.get(), POLLIN, 0};
            if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
            char buffer[4096];
            ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
            if (n <= 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
        }
        return text;
    }
    std::string read_all(std::chrono::milliseconds timeout) { return read_until("", timeout); }
    std::string text;
};

// Starts `w` in `cgroup` through the real Launcher: the child is born in the cgroup
// (CLONE_INTO_CGROUP with the cgroup's directory fd), with the manifest's isolation.
inline isolation::Process start(const isolation::Cgroup& cgroup, const manifests::Workload& w,
                                int stdout_fd = -1) {
    isolation::Launcher launcher;
    isolation::LaunchRequest request;
    request.workload = &w;
    request.cgroup_fd = cgroup.dir_fd();
    request.stdout_fd = stdout_fd;
    request.id_range = testing::test_id_range(w);
    return must(launcher.launch(request), "launch the workload");
}

// True while the process behind the pidfd has not exited (a pidfd polls readable on exit).
inline bool running(const isolation::Process& process) {
    pollfd pfd{process.pidfd.get(), POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 0;
}

// Waits for an event of `kind` for `name` from the watcher, up to `timeout`.
inline std::optional<isolation::CgroupEvent> wait_event(isolation::CgroupWatcher& watcher,
                                                        const std::string& name,
                                                        isolation::CgroupEventKind kind,
                                                        std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto events = must(watcher.drain(), "drain cgroup events");
        for (const auto& event : events) {
            if (event.workload == name && event.kind == kind) return event;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd pfd{watcher.fd(), POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
}

}  // namespace edgevisor::vmtest
