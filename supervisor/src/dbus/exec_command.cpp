// edgectl exec NAME [-i] [-t] -- CMD...: a command inside a running workload, for root and
// dbus.adminGroup. Without -t the command gets our own stdin (with -i; /dev/null without),
// stdout and stderr: nothing is copied, and the command's new session (no controlling
// terminal) keeps TIOCSTI from typing into ours. With -t we open a pseudo-terminal, hand its
// slave over as 0, 1, 2 (it becomes the command's controlling terminal) and relay the master
// to our terminal, put in raw mode so that ^C, ^Z and the arrow keys reach the command.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::edgectl::bus {
namespace {

struct ExecOptions {
    std::string name;
    std::vector<std::string> argv;
    bool interactive = false;
    bool tty = false;
};

struct Pty {
    UniqueFd master, slave;
};

Result<Pty> open_pty() {
    Pty pty;
    pty.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.master) return fail_errno("pty", "posix_openpt");
    char name[128];
    if (::grantpt(pty.master.get()) != 0 || ::unlockpt(pty.master.get()) != 0 ||
        ::ptsname_r(pty.master.get(), name, sizeof name) != 0)
        return fail_errno("pty", "unlockpt");
    pty.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave) return fail_errno("pty", std::string("open ") + name);
    ::fcntl(pty.master.get(), F_SETFL, O_NONBLOCK);
    return pty;
}

void copy_window_size(int master) {
    winsize size{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 ||
        ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
        ::ioctl(master, TIOCSWINSZ, &size);
}

// Our terminal in raw mode while the command runs; restored on every way out.
class RawTerminal {
  public:
    RawTerminal() {
        if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

  private:
    termios saved_{};
    bool active_ = false;
};

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, -1);
            continue;
        }
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// Copies what `from` has now to `to` (one read of a blocking `from`, all of a non-blocking
// one); false at EOF or an error (EIO: no slave left open).
bool relay(int from, int to, bool drain = true) {
    char buffer[16384];
    for (;;) {
        ssize_t n = ::read(from, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        if (n <= 0) return false;
        if (!write_all(to, buffer, static_cast<std::size_t>(n))) return false;
        if (!drain) return true;
    }
}

// Waits for the reply, relaying the pty (when there is one) meanwhile.
Result<telemetry::ExecEnd> wait_for_end(telemetry::dbus::Client& client, int master,
                                        bool forward_stdin) {
    sigset_t winch;
    ::sigemptyset(&winch);
    ::sigaddset(&winch, SIGWINCH);
    ::sigprocmask(SIG_BLOCK, &winch, nullptr);
    UniqueFd resized{::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK)};
    bool stdin_open = forward_stdin;
    for (;;) {
        auto ended = client.exec_result();
        if (!ended) return std::unexpected(ended.error());
        if (*ended) {
            if (master >= 0) relay(master, STDOUT_FILENO);  // what it wrote before it ended
            return **ended;
        }
        auto bus = client.bus_poll();
        if (!bus) return std::unexpected(bus.error());
        pollfd fds[4] = {{bus->fd, bus->events, 0},
                         {master, POLLIN, 0},
                         {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                         {master >= 0 ? resized.get() : -1, POLLIN, 0}};
        if (::poll(fds, 4, bus->timeout_ms) < 0 && errno != EINTR)
            return fail_errno("exec", "poll");
        if (fds[1].revents != 0 && !relay(master, STDOUT_FILENO)) master = -1;
        if (fds[2].revents != 0 && !relay(STDIN_FILENO, fds[1].fd, false)) stdin_open = false;
        if (fds[3].revents != 0) {
            signalfd_siginfo info;
            while (::read(resized.get(), &info, sizeof info) > 0) {
            }
            if (master >= 0) copy_window_size(master);
        }
    }
}

int exec(const Options& options, const ExecOptions& o) {
    int exit_code = kExitOk;
    auto client = connect(options, exit_code);
    if (!client) return exit_code;
    telemetry::dbus::ExecCall call{o.name,        o.argv,        {},   STDIN_FILENO,
                                   STDOUT_FILENO, STDERR_FILENO, o.tty};
    UniqueFd null_in;
    std::optional<Pty> pty;
    if (o.tty) {
        auto opened = open_pty();
        if (!opened) return report(opened.error(), options);
        pty = std::move(*opened);
        copy_window_size(pty->master.get());
        call.stdin_fd = call.stdout_fd = call.stderr_fd = pty->slave.get();
        if (const char* term = std::getenv("TERM")) call.env.push_back(std::string("TERM=") + term);
    } else if (!o.interactive) {
        null_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        call.stdin_fd = null_in.get();
    }
    if (auto sent = client->start_exec(call); !sent) return report(sent.error(), options);
    // The message holds copies: ours would keep the pty open after the command ended.
    if (pty) pty->slave.reset();
    null_in.reset();
    std::optional<RawTerminal> raw;
    if (pty && o.interactive) raw.emplace();
    auto end = wait_for_end(*client, pty ? pty->master.get() : -1, pty && o.interactive);
    raw.reset();
    if (!end) {
        if (end.error().message.find("disconnected") != std::string::npos ||
            end.error().step == telemetry::dbus::client_error::kNotRunning) {
            std::fprintf(stderr, "edgectl: edgevisord went away before the command ended\n");
            return kExitFailed;
        }
        return report(end.error(), options);
    }
    if (!end->failure.empty()) std::fprintf(stderr, "edgectl: %s\n", end->failure.c_str());
    return end->status;
}

}  // namespace

void add_exec_command(CLI::App& app, Options& options, int& exit_code) {
    auto o = std::make_shared<ExecOptions>();
    auto* cmd = app.add_subcommand(
        "exec", "Run a command inside a running workload (root or dbus.adminGroup)");
    cmd->footer(
        "Usage: edgectl exec NAME [-i] [-t] -- CMD [ARG...]\n"
        "Exits with the command's status (128+N when killed by signal N; 126/127 when it could "
        "not run).");
    cmd->add_option("name", o->name, "workload name")->required();
    cmd->add_option("command", o->argv, "the command and its arguments (after --)")->required();
    cmd->add_flag("-i,--interactive", o->interactive, "pass our stdin to the command");
    cmd->add_flag("-t,--tty", o->tty, "run it on a pseudo-terminal");
    cmd->callback([&, o] { exit_code = exec(options, *o); });
}

}  // namespace edgevisor::edgectl::bus
