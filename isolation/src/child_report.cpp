#include "child_report.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace edgevisor::isolation {
namespace {

void copy_bounded(char* out, std::size_t size, const char* in) noexcept {
    std::size_t n = in == nullptr ? 0 : ::strnlen(in, size - 1);
    if (n > 0) std::memcpy(out, in, n);
    out[n] = '\0';
}

}  // namespace

void child_report(int fd, const char* step, int code, const char* detail) noexcept {
    ChildReport report{};
    copy_bounded(report.step, sizeof report.step, step);
    report.code = code;
    copy_bounded(report.detail, sizeof report.detail, detail);
    // Nothing to do on failure: the parent then sees EOF plus a non-zero exit and says so.
    while (::write(fd, &report, sizeof report) < 0 && errno == EINTR) {
    }
}

Result<std::optional<Error>> read_child_report(int fd) {
    ChildReport report{};
    std::size_t got = 0;
    while (got < sizeof report) {
        ssize_t n = ::read(fd, reinterpret_cast<char*>(&report) + got, sizeof report - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("child_report", "reading the child's report pipe");
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got == 0) return std::optional<Error>{};
    if (got != sizeof report)
        return fail("child_report",
                    "truncated report from the child (" + std::to_string(got) + " bytes)");
    report.step[sizeof report.step - 1] = '\0';
    report.detail[sizeof report.detail - 1] = '\0';
    std::string step = report.step;
    std::string message = report.detail[0] != '\0' ? step + "(" + report.detail + ")" : step;
    return std::optional<Error>{Error{step, report.code, std::move(message)}};
}

}  // namespace edgevisor::isolation
