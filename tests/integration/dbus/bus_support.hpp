// What the D-Bus tests share: a private dbus-daemon with the system bus's policy on a socket in
// a temp dir, and programs (busctl, edgectl, setpriv) run as real processes.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edgevisor/unique_fd.hpp"

namespace edgevisor::testing {

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "edgevisor-dbus-XXXXXX");
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
        // Callers of other uids (setpriv --reuid 65534) reach the socket inside.
        ::chmod(path_.c_str(), 0755);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

struct Outcome {
    int code = -1;
    std::string out;
    std::string err;
};

inline std::string read_fd(int fd) {
    std::string text;
    ::lseek(fd, 0, SEEK_SET);
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    return text;
}

inline std::vector<char*> argv_of(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    return argv;
}

// Runs a program to its end, stdout and stderr captured; `env` entries are added.
inline Outcome run(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    UniqueFd out(::memfd_create("out", MFD_CLOEXEC));
    UniqueFd err(::memfd_create("err", MFD_CLOEXEC));
    REQUIRE((out && err));
    auto argv = argv_of(args);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out.get(), STDOUT_FILENO);
        ::dup2(err.get(), STDERR_FILENO);
        for (const auto& entry : env) ::putenv(const_cast<char*>(entry.c_str()));
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                   read_fd(out.get()), read_fd(err.get())};
}

// A program running in the background with its stdout on a pipe (busctl monitor, a daemon);
// killed with SIGTERM, then reaped, when it goes out of scope.
class Background {
  public:
    explicit Background(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        UniqueFd read_end(fds[0]);
        UniqueFd write_end(fds[1]);
        auto argv = argv_of(args);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(write_end.get(), STDOUT_FILENO);
            for (const auto& entry : env) ::putenv(const_cast<char*>(entry.c_str()));
            ::execvp(argv[0], argv.data());
            ::_exit(127);
        }
        out_ = std::move(read_end);
        ::fcntl(out_.get(), F_SETFL, O_NONBLOCK);
    }
    ~Background() { stop(); }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }

    // Reads stdout until `needle` appears or the deadline passes; returns all read so far.
    std::string read_until(const std::string& needle,
                           std::chrono::seconds deadline = std::chrono::seconds(20)) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (text_.find(needle) == std::string::npos &&
               std::chrono::steady_clock::now() < until) {
            pollfd fd{out_.get(), POLLIN, 0};
            if (::poll(&fd, 1, 200) <= 0) continue;
            char buffer[4096];
            ssize_t n = ::read(out_.get(), buffer, sizeof buffer);
            if (n == 0) break;
            if (n > 0) text_.append(buffer, static_cast<std::size_t>(n));
        }
        return text_;
    }

    // SIGTERM, then the exit status as run() reports it.
    int stop() {
        if (pid_ <= 0) return status_;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
    }

  private:
    pid_t pid_ = -1;
    int status_ = -1;
    UniqueFd out_;
    std::string text_;
};

// A dbus-daemon of our own: the system bus's policy plus systemd/org.edgevisor.Supervisor1.conf.
class PrivateBus {
  public:
    PrivateBus() {
        const auto socket = dir_.path() / "system_bus_socket";
        std::string config = read_text(std::filesystem::path(EDGEVISOR_SOURCE_DIR) /
                                       "systemd/private-system-bus.conf.in");
        replace(config, "@SOCKET@", socket.string());
        replace(config, "@POLICY@", EDGEVISOR_SOURCE_DIR "/systemd/org.edgevisor.Supervisor1.conf");
        write_text(dir_.path() / "bus.conf", config);
        address_ = "unix:path=" + socket.string();
        start();
    }
    // Kills the bus daemon (every connection breaks) and starts a new one on the same socket.
    void restart() {
        daemon_.reset();
        std::filesystem::remove(dir_.path() / "system_bus_socket");
        start();
    }
    [[nodiscard]] const std::string& address() const { return address_; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
    [[nodiscard]] pid_t daemon_pid() const { return daemon_->pid(); }
    // Environment for a program that should take this bus for the system bus.
    [[nodiscard]] std::string system_bus_env() const {
        return "DBUS_SYSTEM_BUS_ADDRESS=" + address_;
    }

  private:
    void start() {
        daemon_ = std::make_unique<Background>(
            std::vector<std::string>{"dbus-daemon", "--nofork", "--nopidfile", "--print-address=1",
                                     "--config-file=" + (dir_.path() / "bus.conf").string()});
        // dbus-daemon prints its address once it listens.
        const std::string printed = daemon_->read_until("\n");
        REQUIRE(printed.find(address_) != std::string::npos);
    }
    static void replace(std::string& text, const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at))
            text.replace(at, from.size(), to);
    }
    TempDir dir_;
    std::string address_;
    std::unique_ptr<Background> daemon_;
};

// busctl on the private bus, optionally as the unprivileged user nobody (65534).
inline Outcome busctl(const PrivateBus& bus, std::vector<std::string> args,
                      bool as_nobody = false) {
    args.insert(args.begin(), {"busctl", "--address=" + bus.address()});
    if (as_nobody)
        args.insert(args.begin(),
                    {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"});
    return run(args);
}

}  // namespace edgevisor::testing
