// The outcome of one child-side step between clone and execve: which step failed, its errno
// and the argument to name (a string prepared by the parent). code == 0 means success.
// Plain pointers on purpose: the child must not allocate.
#pragma once

namespace edgevisor::isolation {

struct StepResult {
    const char* step = nullptr;
    int code = 0;
    const char* detail = nullptr;
    [[nodiscard]] bool ok() const noexcept { return code == 0; }
};

inline constexpr StepResult step_ok{};

// Formats "/proc/self/fd/<fd>" into buf without allocating (the child mounts through fds).
inline const char* fd_path(char (&buf)[32], int fd) noexcept {
    constexpr char prefix[] = "/proc/self/fd/";
    int i = 0;
    for (; prefix[i] != '\0'; ++i) buf[i] = prefix[i];
    char digits[12];
    int n = 0;
    unsigned value = static_cast<unsigned>(fd);
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0 && n < 11);
    while (n > 0) buf[i++] = digits[--n];
    buf[i] = '\0';
    return buf;
}

}  // namespace edgevisor::isolation
