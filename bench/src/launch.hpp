// Times one launch: spawn a launcher and wait for it. Wall time runs from the spawn to the
// launcher's exit (when a user gets the prompt back); CPU time is user + system of every
// process the launch created, including helpers that outlive the launcher (see
// become_subreaper), taken from RUSAGE_CHILDREN once all of them are reaped.
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
    double cpu_ms = 0;  // user + system of the launcher and every process it left behind
    int wait_status = 0;
    [[nodiscard]] bool succeeded() const;
    [[nodiscard]] std::string describe_status() const;
};

struct LaunchOptions {
    int output_fd = -1;         // the launcher's stdout and stderr; stdin is /dev/null
    int mount_ns_fd = -1;       // when >= 0, spawn from inside this mount namespace
    int home_mount_ns_fd = -1;  // and come back to this one afterwards
};

// Makes orphans of our launches re-parent to this process, so that time_launch can wait for
// them and count their CPU. Call once before the first launch.
Status become_subreaper();

// Spawns the command (argv[0] an absolute path), waits, and measures. Fails only when the
// launch could not be made or measured; a launcher that exits non-zero is a Sample whose
// succeeded() is false.
Result<Sample> time_launch(const Command& command, const LaunchOptions& options);

}  // namespace edgevisor::bench
