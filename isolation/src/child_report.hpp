// The child's side channel to the parent between clone and execve.
//
// The parent creates a pipe with O_CLOEXEC; the child keeps the write end. If a setup step
// fails, the child writes one fixed-size ChildReport {step, errno, detail} and exits. If execve
// succeeds, the kernel closes the write end, so the parent reads EOF: "exec succeeded".
// A record is far below PIPE_BUF, so one write() is atomic and needs no framing.
//
// The step travels as its number (child_step.hpp); the parent names it.
#pragma once

#include <cstdint>
#include <optional>

#include "child_step.hpp"
#include "edgevisor/error.hpp"

namespace edgevisor::isolation {

struct ChildReport {
    std::uint32_t step;  // a Step
    std::int32_t code;   // errno
    char detail[248];    // the step's argument, e.g. the path; NUL-terminated
};
static_assert(sizeof(ChildReport) <= 512, "one atomic pipe write");

// In the child: fills a report and writes it to fd. Async-signal-safe, allocates nothing.
void child_report(int fd, Step step, int code, const char* detail) noexcept;

// In the parent: reads the report pipe until EOF. nullopt = EOF without a report (execve
// succeeded); otherwise the child's failure as an Error (step_text: "<step>(<detail>)", errno).
Result<std::optional<Error>> read_child_report(int fd);

}  // namespace edgevisor::isolation
