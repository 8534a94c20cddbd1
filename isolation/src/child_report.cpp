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

void child_report(int fd, Step step, int code, const char* detail) noexcept {
    ChildReport report{};
    report.step = static_cast<std::uint32_t>(step);
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
        if (n < 0) return fail_at(Step::child_report, "read", errno);
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got == 0) return std::optional<Error>{};
    if (got != sizeof report)
        return fail_at(Step::child_report, "", EPROTO,
                       "truncated report from the child (" + std::to_string(got) + " bytes)");
    if (report.step == 0 || report.step >= kSteps.size())
        return fail_at(Step::child_report, "", EPROTO,
                       "the child reported step number " + std::to_string(report.step));
    report.detail[sizeof report.detail - 1] = '\0';
    const auto step = static_cast<Step>(report.step);
    return std::optional<Error>{
        Error{std::string(step_name(step)), report.code, step_text(step, report.detail)}};
}

}  // namespace edgevisor::isolation
