// Errors are values inside edgevisor; exceptions only at the edges (library adapters, main).
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace edgevisor {

// One failure with the step that failed, the errno (0 when not a system error) and a message.
// Outer layers wrap it with their context, innermost last:
//   "sensor: start failed: pivot_root(/srv/rootfs): No such file or directory"
struct Error {
    std::string step;     // stable step name, e.g. "pivot_root", "parse", "cgroup.create"
    int code = 0;         // errno, or 0
    std::string message;  // human detail, already including the step's argument

    // Full text for a user: "<message>: <strerror(code)>" when code != 0.
    [[nodiscard]] std::string describe() const;

    // Prefix the message with an outer context ("sensor: start failed").
    [[nodiscard]] Error wrap(const std::string& context) const&;
    [[nodiscard]] Error wrap(const std::string& context) &&;
};

template <typename T>
using Result = std::expected<T, Error>;

// For functions that return nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(std::string step, std::string message, int code = 0) {
    return std::unexpected(Error{std::move(step), code, std::move(message)});
}

// Shorthand for a failed system call: captures errno at the call site.
inline std::unexpected<Error> fail_errno(std::string step, std::string message) {
    int saved = errno;
    return std::unexpected(Error{std::move(step), saved, std::move(message)});
}

}  // namespace edgevisor
