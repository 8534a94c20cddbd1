// The programs the VM tests run as workloads: each mode stresses one cgroup limit the way a
// misbehaving program would, and reports what it saw on stdout, one "key value" per line.
//
//   hog MIB [hold]   allocate and touch MIB MiB, 1 MiB at a time ("hold": then pause forever)
//   fork-bomb        every process forks as fast as it can, forever, retrying when refused
//   spin             a busy loop, forever
//   affinity         print sched_getaffinity and /proc/self/status Cpus_allowed_list, exit
//   daemonize N      start N daemonised grandchildren (fork, setsid, fork), print their pids,
//                    exit; they pause forever
//   read DEV MIB     read MIB MiB from block device DEV with O_DIRECT, print the time taken
//   pause            pause forever
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

[[noreturn]] void pause_forever() {
    for (;;) ::pause();
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "vm_workload: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int hog(std::size_t mib, bool hold) {
    for (std::size_t i = 0; i < mib; ++i) {
        void* chunk =
            ::mmap(nullptr, kMiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (chunk == MAP_FAILED) die("mmap");
        std::memset(chunk, 0x5a, kMiB);  // touch every page: charged to memory.current
        std::printf("allocated %zu\n", i + 1);
        std::fflush(stdout);
    }
    if (hold) pause_forever();
    return 0;
}

[[noreturn]] void fork_bomb() {
    // Children inherit the loop: the number of processes grows until pids.max refuses forks.
    for (;;) {
        pid_t pid = ::fork();
        if (pid < 0 && errno != EAGAIN) die("fork");
    }
}

[[noreturn]] void spin() {
    volatile std::uint64_t counter = 0;
    for (;;) counter = counter + 1;
}

int affinity() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity");
    std::printf("sched_getaffinity");
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) std::printf(" %d", cpu);
    }
    std::printf("\n");
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("Cpus_allowed_list:")) {
            std::printf("Cpus_allowed_list %s\n",
                        line.substr(line.find_first_not_of(" \t", sizeof "Cpus_allowed_list:" - 1))
                            .c_str());
        }
    }
    return 0;
}

int daemonize(int count) {
    for (int i = 0; i < count; ++i) {
        int pipe_fds[2];
        if (::pipe(pipe_fds) != 0) die("pipe");
        pid_t child = ::fork();
        if (child < 0) die("fork");
        if (child == 0) {  // the classic double fork: the grandchild is nobody's child here
            ::setsid();
            pid_t grandchild = ::fork();
            if (grandchild < 0) die("fork");
            if (grandchild > 0) std::_Exit(0);
            pid_t self = ::getpid();
            if (::write(pipe_fds[1], &self, sizeof self) != sizeof self) die("write");
            ::close(pipe_fds[1]);
            ::close(STDOUT_FILENO);
            pause_forever();
        }
        ::close(pipe_fds[1]);
        pid_t grandchild = 0;
        if (::read(pipe_fds[0], &grandchild, sizeof grandchild) != sizeof grandchild) die("read");
        ::close(pipe_fds[0]);
        std::printf("daemon %d\n", grandchild);
    }
    std::fflush(stdout);
    return 0;
}

int read_device(const char* device, std::size_t mib) {
    int fd = ::open(device, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) die(device);
    void* buffer = nullptr;
    if (::posix_memalign(&buffer, 4096, kMiB) != 0) die("posix_memalign");
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < mib; ++i) {
        if (::read(fd, buffer, kMiB) != static_cast<ssize_t>(kMiB)) die("read");
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    std::printf("read_ms %lld\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "hog" && argc >= 3) {
        return hog(std::strtoull(argv[2], nullptr, 10),
                   argc > 3 && argv[3] == std::string_view("hold"));
    }
    if (mode == "fork-bomb") fork_bomb();
    if (mode == "spin") spin();
    if (mode == "affinity") return affinity();
    if (mode == "daemonize" && argc == 3) return daemonize(std::atoi(argv[2]));
    if (mode == "read" && argc == 4)
        return read_device(argv[2], std::strtoull(argv[3], nullptr, 10));
    if (mode == "pause") pause_forever();
    std::fprintf(stderr,
                 "usage: vm_workload hog MIB [hold] | fork-bomb | spin | affinity | "
                 "daemonize N | read DEV MIB | pause\n");
    return 2;
}
