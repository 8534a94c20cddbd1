// A workload's stdout and stderr: two pipes whose read ends the loop drains (non-blocking,
// at most kReadBudget bytes per stream per wake-up, so a flood cannot starve the loop) into
// <paths.logs>/<name>.log, one line per line:
//   2026-12-01T09:15:00.123Z out hello
//   2026-12-01T09:15:00.124Z err oops
// The file rotates at logs.maxSize into <name>.log.1 ... <name>.log.<maxFiles-1>, so a
// workload never holds more than maxSize * maxFiles on disk however much it writes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::supervisor {

class LogFile {
  public:
    LogFile(std::string path, std::uint64_t max_size, std::uint32_t max_files);
    void set_limits(std::uint64_t max_size, std::uint32_t max_files);
    // stream: "out" or "err"; the line without its newline.
    void write_line(std::string_view stream, std::string_view line);
    [[nodiscard]] const std::string& path() const { return path_; }
    // Called with every line written, as tail() returns it (edgectl logs -f follows these).
    void on_line(std::function<void(std::string_view)> fn) { on_line_ = std::move(fn); }
    [[nodiscard]] std::uint64_t dropped_bytes() const { return dropped_; }
    // The last `lines` lines of the file and its rotated predecessors, oldest first.
    [[nodiscard]] std::vector<std::string> tail(std::size_t lines) const;

  private:
    void open();
    void rotate();
    std::string path_;
    std::uint64_t max_size_;
    std::uint32_t max_files_;
    UniqueFd fd_;
    std::uint64_t size_ = 0;
    std::uint64_t dropped_ = 0;
    std::function<void(std::string_view)> on_line_;
};

class LogCapture {
  public:
    static constexpr std::size_t kReadBudget = 64 * 1024;
    static constexpr std::size_t kMaxLine = 16 * 1024;

    explicit LogCapture(LogFile& file) : file_(file) {}
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    // Takes the read ends (made non-blocking) and drains them from the loop.
    void attach(EventLoop& loop, UniqueFd out, UniqueFd err);
    // Reads what is there without waiting (the workload has ended).
    void flush();
    // Stops watching and closes the read ends.
    void close();
    [[nodiscard]] int out_fd() const { return out_.fd.get(); }
    [[nodiscard]] int err_fd() const { return err_.fd.get(); }

  private:
    struct Stream {
        UniqueFd fd;
        Source source;
        std::string partial;
        std::string_view name;
    };
    Status drain(Stream& stream, std::size_t budget);
    void emit(Stream& stream, std::string_view data);
    LogFile& file_;
    Stream out_{{}, {}, {}, "out"};
    Stream err_{{}, {}, {}, "err"};
};

// A pipe for one stream: {read end, write end}, both close-on-exec; the read end non-blocking.
Result<std::pair<UniqueFd, UniqueFd>> make_log_pipe();

}  // namespace edgevisor::supervisor
