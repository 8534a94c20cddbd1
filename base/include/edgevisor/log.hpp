// Logging for every edgevisor library and program. spdlog does the work, but only
// src/log.cpp includes it: compiled header-only in that one file, it adds no shared library
// to `edgectl run` (whose start-up time is a product figure, README "Performance") and no
// spdlog parsing to every other file. Messages carry their context in the text, workload
// name first: "sensor: seccomp: unknown syscall foo".
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace edgevisor::log {

enum class Level { debug, info, warn, error };

// Messages below this level are dropped (default: info).
void set_level(Level level);
[[nodiscard]] bool enabled(Level level);

// Writes one message to standard error: "[<time>] [<level>] <message>".
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::debug))
        write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::info)) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::warn)) write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::error))
        write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

// While alive, log lines go to memory instead of standard error (formatted as they would
// be printed); for tests that assert what a user is told. Not thread-safe to create or
// destroy while other threads log.
class Capture {
  public:
    Capture();
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;
    ~Capture();
    [[nodiscard]] std::string text() const;  // every captured line, newline-terminated

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace edgevisor::log
