// The Exec calls in flight: each holds its method call until the command ends (then the reply
// carries its status), and watches its caller's bus name, so that a caller that hangs up
// (edgectl killed, ^C) takes its command with it instead of leaving it running in the workload.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::dbus {

using ExecReply = sdbus::Result<std::int32_t, std::string>;

// What Exec received, checked by the caller of start() for access; start() checks the rest.
struct ExecArguments {
    std::string name;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    const sdbus::UnixFd* in = nullptr;
    const sdbus::UnixFd* out = nullptr;
    const sdbus::UnixFd* err = nullptr;
    std::uint32_t flags = 0;
};

// Exec's flags (the XML's comment).
inline constexpr std::uint32_t kExecTty = 1;

class ExecCalls {
  public:
    ExecCalls(Control& control, sdbus::IConnection& connection);
    // Cancels every command still running: their callers lose the connection's replies anyway.
    ~ExecCalls();
    ExecCalls(const ExecCalls&) = delete;
    ExecCalls& operator=(const ExecCalls&) = delete;

    // Inside the Exec handler: validates, starts the command, and keeps `reply` for its end.
    // Throws sdbus::Error for a refused call (the handler's reply).
    void start(ExecReply reply, const ExecArguments& args, const std::string& sender);
    // Outside dispatch: frees the watches of calls that ended (a match slot is not freed from
    // inside its own callback).
    void collect();

  private:
    struct Call {
        ExecReply reply;
        sdbus::Slot watch;
    };
    void ended(std::uint64_t id, const ExecEnd& end);
    void caller_gone(std::uint64_t id);
    void forget(std::map<std::uint64_t, Call>::iterator it);

    Control& control_;
    sdbus::IConnection& connection_;
    std::unique_ptr<sdbus::IProxy> bus_daemon_;
    std::map<std::uint64_t, Call> calls_;
    std::vector<sdbus::Slot> dead_watches_;
};

}  // namespace edgevisor::telemetry::dbus
