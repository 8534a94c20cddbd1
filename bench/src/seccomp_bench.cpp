// edgevisor-seccomp-bench: what a seccomp filter costs a system call, and what each policy
// costs to compile. Rows: no filter; the old deny list (bench/manifests/
// true-isolated-seccomp-deny-list.yaml); the allow list that is the default profile; Docker's
// profile (imported from shared/data). Each filtered row twice: libseccomp's binary tree
// (SCMP_FLTATR_CTL_OPTIMIZE=2, what edgevisor uses) and its default linear order (1).
//
// Method: every round forks one child per row (the starting row rotating), which loads the
// filter (no_new_privs first) and times a loop of each call with CLOCK_MONOTONIC; the figure is
// the median over rounds of ns per call. Not a test: nothing asserts a time.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "seccomp_policy.hpp"
#include "stats.hpp"

namespace {

using namespace edgevisor;
using namespace edgevisor::isolation;
namespace detail = edgevisor::isolation::seccomp_detail;

struct Row {
    std::string label;
    std::optional<detail::SeccompPolicy> policy;  // none: no filter
    int optimize = detail::kBinaryTree;
    SeccompProgram program;
    double compile_ms = 0;
};

struct Call {
    const char* label;
    long (*run)(int fd);
};

const std::vector<Call> kCalls{
    {"getppid", [](int) { return ::syscall(SYS_getppid); }},
    {"read 1 B of /dev/zero",
     [](int fd) {
         char c;
         return ::syscall(SYS_read, fd, &c, 1);
     }},
    {"openat + close /dev/null",
     [](int) {
         const long fd = ::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
         return fd < 0 ? fd : ::syscall(SYS_close, fd);
     }},
};

// In a fresh child: load the filter, time each call; ns per call written to `out`.
void measure_in_child(const Row& row, int iterations, int out) {
    if (!row.program.instructions.empty()) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(2);
        if (child_load_seccomp(row.program) != 0) ::_exit(3);
    }
    const int zero = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
    std::vector<double> ns;
    for (const auto& call : kCalls) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < iterations; ++i) call.run(zero);
        const std::chrono::duration<double, std::nano> took =
            std::chrono::steady_clock::now() - start;
        ns.push_back(took.count() / iterations);
    }
    const auto bytes = static_cast<ssize_t>(ns.size() * sizeof(double));
    ::_exit(::write(out, ns.data(), ns.size() * sizeof(double)) == bytes ? 0 : 4);
}

std::optional<std::vector<double>> measure(const Row& row, int iterations) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        measure_in_child(row, iterations, fds[1]);
    }
    ::close(fds[1]);
    std::vector<double> ns(kCalls.size());
    const auto want = static_cast<ssize_t>(ns.size() * sizeof(double));
    const bool got = ::read(fds[0], ns.data(), ns.size() * sizeof(double)) == want;
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return ns;
}

Result<detail::SeccompPolicy> deny_list_policy(const std::string& source_dir) {
    const std::string path = source_dir + "/bench/manifests/true-isolated-seccomp-deny-list.yaml";
    auto loaded = manifests::load_paths({path});
    if (!loaded.ok() || loaded.workloads.size() != 1) {
        return fail("bench", path + ": " +
                                 (loaded.diagnostics.empty() ? std::string("no workload")
                                                             : loaded.diagnostics[0].message));
    }
    return detail::custom_policy(loaded.workloads[0].spec.isolation.seccomp);
}

Status compile_row(Row& row, int repeats) {
    if (!row.policy) return {};
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto program = detail::compile_policy(*row.policy, 0, row.optimize);
        const std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        if (!program) return std::unexpected(program.error());
        row.program = std::move(*program);
        ms.push_back(took.count());
    }
    row.compile_ms = bench::summarize(ms).median;
    return {};
}

std::vector<Row> make_rows(const std::string& source_dir, const std::string& docker_profile) {
    std::vector<Row> rows;
    auto add = [&](std::string label, std::optional<detail::SeccompPolicy> policy, int optimize) {
        Row row;
        row.label = std::move(label);
        row.policy = std::move(policy);
        row.optimize = optimize;
        rows.push_back(std::move(row));
    };
    add("no filter", std::nullopt, 0);
    auto add_pair = [&](const std::string& label, const detail::SeccompPolicy& policy) {
        add(label + ", binary tree", policy, detail::kBinaryTree);
        add(label + ", linear", policy, 1);
    };
    if (auto deny = deny_list_policy(source_dir)) {
        add_pair("deny list (old default)", *deny);
    } else {
        fmt::print(stderr, "deny list left out: {}\n", deny.error().describe());
    }
    add_pair("allow list (default)", detail::default_policy());
    if (std::filesystem::exists(docker_profile)) {
        if (auto docker = detail::import_profile_file(docker_profile, {})) {
            add_pair("Docker's profile", *docker);
        }
    } else {
        fmt::print(stderr, "Docker's profile left out: not at {}\n", docker_profile);
    }
    return rows;
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 15, iterations = 200000, compile_repeats = 20;
    std::string source_dir = EDGEVISOR_SOURCE_DIR, docker_profile;
    CLI::App app{"edgevisor-seccomp-bench: per-call cost of seccomp filters, compile time"};
    app.add_option("-r,--rounds", rounds, "rounds (one child per row each)")
        ->check(CLI::PositiveNumber);
    app.add_option("-i,--iterations", iterations, "calls per measurement")
        ->check(CLI::PositiveNumber);
    app.add_option("--source-dir", source_dir, "the edgevisor repository")->capture_default_str();
    app.add_option("--docker-profile", docker_profile,
                   "Docker's profile (default: <source-dir>/../shared/data/seccomp/"
                   "docker-default.json)");
    CLI11_PARSE(app, argc, argv);
    if (docker_profile.empty()) {
        docker_profile = source_dir + "/../shared/data/seccomp/docker-default.json";
    }

    auto rows = make_rows(source_dir, docker_profile);
    for (auto& row : rows) {
        if (auto s = compile_row(row, compile_repeats); !s) {
            fmt::print(stderr, "{}: {}\n", row.label, s.error().describe());
            return 1;
        }
    }
    // samples[row][call]
    std::vector<std::vector<std::vector<double>>> samples(
        rows.size(), std::vector<std::vector<double>>(kCalls.size()));
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const std::size_t r = (k + static_cast<std::size_t>(round)) % rows.size();
            auto ns = measure(rows[r], iterations);
            if (!ns) {
                fmt::print(stderr, "{}: the measuring child failed\n", rows[r].label);
                return 1;
            }
            for (std::size_t c = 0; c < kCalls.size(); ++c) samples[r][c].push_back((*ns)[c]);
        }
    }

    fmt::print("{} rounds x {} calls; ns per call, median [p10 p90]\n\n", rounds, iterations);
    fmt::print("| filter | BPF instructions | compile ms |");
    for (const auto& call : kCalls) fmt::print(" {} |", call.label);
    fmt::print("\n| --- | --- | --- |");
    for (std::size_t c = 0; c < kCalls.size(); ++c) fmt::print(" --- |");
    fmt::print("\n");
    for (std::size_t r = 0; r < rows.size(); ++r) {
        fmt::print("| {} | {} | {:.2f} |", rows[r].label, rows[r].program.instructions.size(),
                   rows[r].compile_ms);
        for (std::size_t c = 0; c < kCalls.size(); ++c) {
            const auto s = bench::summarize(samples[r][c]);
            fmt::print(" {:.0f} [{:.0f} {:.0f}] |", s.median, s.p10, s.p90);
        }
        fmt::print("\n");
    }
    return 0;
}
