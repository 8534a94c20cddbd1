// Times one launch: spawn a launcher, wait for it, and take wall time from the monotonic clock
// and CPU time from the rusage that wait4 returns for the launcher and everything it reaped.
#pragma once

#include <string>
#include <vector>

#include "edgevisor/error.hpp"

namespace edgevisor::bench {

// A command line prepared once, so that the timed section does not allocate.
class Command {
  public:
    explicit Command(std::vector<std::string> args);
    Command(const Command& other) : Command(other.args_) {}
    Command& operator=(const Command&) = delete;
    // Moving the vectors moves their buffers, so the pointers into args_ stay valid.
    Command(Command&&) noexcept = default;
    Command& operator=(Command&&) noexcept = default;

    [[nodiscard]] const std::vector<std::string>& args() const { return args_; }
    [[nodiscard]] char* const* argv() const { return pointers_.data(); }
    [[nodiscard]] std::string text() const;  // shell-like, for the report

  private:
    std::vector<std::string> args_;
    std::vector<char*> pointers_;
};

struct Sample {
    double wall_ms = 0;
    double cpu_ms = 0;  // user + system of the launcher and all descendants it waited for
    int wait_status = 0;
    [[nodiscard]] bool succeeded() const;
    [[nodiscard]] std::string describe_status() const;
};

struct LaunchOptions {
    int output_fd = -1;         // the launcher's stdout and stderr; stdin is /dev/null
    int mount_ns_fd = -1;       // when >= 0, spawn from inside this mount namespace
    int home_mount_ns_fd = -1;  // and come back to this one afterwards
};

// Spawns the command (argv[0] an absolute path), waits, and measures. Fails only when the
// launch could not be made or measured; a launcher that exits non-zero is a Sample whose
// succeeded() is false.
Result<Sample> time_launch(const Command& command, const LaunchOptions& options);

}  // namespace edgevisor::bench
