#include "log_capture.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>

namespace edgevisor::supervisor {
namespace {

// "2026-12-01T09:15:00.123Z"
std::string timestamp() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return text;
}

}  // namespace

LogFile::LogFile(std::string path, std::uint64_t max_size, std::uint32_t max_files)
    : path_(std::move(path)),
      max_size_(max_size),
      max_files_(std::max<std::uint32_t>(1, max_files)) {}

void LogFile::set_limits(std::uint64_t max_size, std::uint32_t max_files) {
    max_size_ = max_size;
    max_files_ = std::max<std::uint32_t>(1, max_files);
}

void LogFile::open() {
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640));
    size_ = 0;
    if (fd_) {
        off_t end = ::lseek(fd_.get(), 0, SEEK_END);
        size_ = end > 0 ? static_cast<std::uint64_t>(end) : 0;
    }
}

void LogFile::rotate() {
    fd_.reset();
    if (max_files_ == 1) {
        ::truncate(path_.c_str(), 0);
    } else {
        for (std::uint32_t i = max_files_ - 1; i >= 1; --i) {
            std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
            std::string to = path_ + "." + std::to_string(i);
            ::rename(from.c_str(), to.c_str());  // ENOENT for a generation not there yet
        }
    }
    open();
}

void LogFile::write_line(std::string_view stream, std::string_view line) {
    std::string record = timestamp();
    record += ' ';
    record += stream;
    record += ' ';
    record += line;
    record += '\n';
    if (!fd_) open();
    if (size_ > 0 && size_ + record.size() > max_size_) rotate();
    if (!fd_) {
        dropped_ += record.size();
        return;
    }
    ssize_t n = ::write(fd_.get(), record.data(), record.size());
    if (n > 0) size_ += static_cast<std::uint64_t>(n);
    if (n != static_cast<ssize_t>(record.size())) dropped_ += record.size();  // disk full
    if (on_line_) on_line_(std::string_view(record).substr(0, record.size() - 1));
}

std::vector<std::string> LogFile::tail(std::size_t lines) const {
    std::deque<std::string> out;
    for (std::uint32_t i = max_files_; i-- > 0;) {
        std::string path = i == 0 ? path_ : path_ + "." + std::to_string(i);
        FILE* f = std::fopen(path.c_str(), "re");
        if (f == nullptr) continue;
        char* line = nullptr;
        std::size_t cap = 0;
        ssize_t n;
        while ((n = ::getline(&line, &cap, f)) > 0) {
            out.emplace_back(line, static_cast<std::size_t>(n) - (line[n - 1] == '\n' ? 1 : 0));
            if (out.size() > lines) out.pop_front();
        }
        std::free(line);
        std::fclose(f);
    }
    return {out.begin(), out.end()};
}

void LogCapture::attach(EventLoop& loop, UniqueFd out, UniqueFd err) {
    out_.fd = std::move(out);
    err_.fd = std::move(err);
    for (Stream* s : {&out_, &err_}) {
        if (!s->fd) continue;
        ::fcntl(s->fd.get(), F_SETFL, ::fcntl(s->fd.get(), F_GETFL) | O_NONBLOCK);
        s->source = loop.add_io(s->fd.get(), EPOLLIN,
                                [this, s](std::uint32_t) { return drain(*s, kReadBudget); });
    }
}

void LogCapture::flush() {
    for (Stream* s : {&out_, &err_}) {
        if (!s->fd) continue;
        (void)drain(*s, SIZE_MAX);
        if (!s->partial.empty()) file_.write_line(s->name, s->partial);
        s->partial.clear();
    }
}

void LogCapture::close() {
    for (Stream* s : {&out_, &err_}) {
        s->source.reset();
        s->fd.reset();
        s->partial.clear();
    }
}

Status LogCapture::drain(Stream& stream, std::size_t budget) {
    char buffer[16384];
    std::size_t done = 0;
    while (done < budget) {
        ssize_t n = ::read(stream.fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return {};
        if (n <= 0) {
            // EOF: every writer is gone (the workload and what it started). Level-triggered
            // epoll would report EOF forever: stop watching until the next run attaches.
            if (!stream.partial.empty()) file_.write_line(stream.name, stream.partial);
            stream.partial.clear();
            stream.source.reset();
            stream.fd.reset();
            return {};
        }
        emit(stream, std::string_view(buffer, static_cast<std::size_t>(n)));
        done += static_cast<std::size_t>(n);
    }
    return {};
}

void LogCapture::emit(Stream& stream, std::string_view data) {
    while (!data.empty()) {
        auto newline = data.find('\n');
        if (newline == std::string_view::npos) {
            stream.partial.append(data);
            if (stream.partial.size() >= kMaxLine) {
                file_.write_line(stream.name, stream.partial);
                stream.partial.clear();
            }
            return;
        }
        if (stream.partial.empty()) {
            file_.write_line(stream.name, data.substr(0, newline));
        } else {
            stream.partial.append(data.substr(0, newline));
            file_.write_line(stream.name, stream.partial);
            stream.partial.clear();
        }
        data.remove_prefix(newline + 1);
    }
}

Result<std::pair<UniqueFd, UniqueFd>> make_log_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("logs", "pipe2");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    // Room for a burst while the daemon is busy (or restarting): 1 MiB if allowed, else the
    // default 64 KiB (/proc/sys/fs/pipe-max-size).
    ::fcntl(read_end.get(), F_SETPIPE_SZ, 1 << 20);
    ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
    return std::pair{std::move(read_end), std::move(write_end)};
}

}  // namespace edgevisor::supervisor
