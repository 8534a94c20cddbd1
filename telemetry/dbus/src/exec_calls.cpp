#include "exec_calls.hpp"

#include "caller_watch.hpp"

#include "edgevisor/log.hpp"
#include "wire.hpp"

namespace edgevisor::telemetry::dbus {
namespace {

constexpr std::size_t kMaxArgs = 4096;
constexpr std::size_t kMaxArgBytes = 1 << 20;  // argv and env together (execve allows ~2 MiB)

void check_arguments(const ExecArguments& args) {
    auto invalid = [](const std::string& why) { throw sdbus::Error(wire::kInvalidArgs, why); };
    if (args.argv.empty() || args.argv[0].empty()) invalid("argv: no command given");
    if (args.argv.size() + args.env.size() > kMaxArgs)
        invalid("argv and env: more than " + std::to_string(kMaxArgs) + " entries");
    std::size_t bytes = 0;
    for (const auto& a : args.argv) bytes += a.size() + 1;
    for (const auto& e : args.env) {
        bytes += e.size() + 1;
        auto eq = e.find('=');
        if (eq == std::string::npos || eq == 0) invalid("env: '" + e + "' is not NAME=value");
    }
    if (bytes > kMaxArgBytes) invalid("argv and env: more than 1 MiB");
    if ((args.flags & ~kExecTty) != 0)
        invalid("flags: unknown bits " + std::to_string(args.flags & ~kExecTty));
    for (const sdbus::UnixFd* fd : {args.in, args.out, args.err})
        if (fd == nullptr || fd->get() < 0) invalid("stdin, stdout and stderr must be open fds");
}

}  // namespace

ExecCalls::ExecCalls(Control& control, sdbus::IConnection& connection)
    : control_(control),
      connection_(connection),
      bus_daemon_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")) {
}

ExecCalls::~ExecCalls() {
    for (auto& [id, call] : calls_) control_.cancel_exec(id);
}

void ExecCalls::start(ExecReply reply, const ExecArguments& args, const std::string& sender) {
    check_arguments(args);
    ExecRequest request{args.name,
                        args.argv,
                        args.env,
                        args.in->get(),
                        args.out->get(),
                        args.err->get(),
                        (args.flags & kExecTty) != 0};
    auto id_cell = std::make_shared<std::uint64_t>(0);
    auto id = control_.exec(request, [this, id_cell](const ExecEnd& end) { ended(*id_cell, end); });
    if (!id) {
        const Error& e = id.error();
        // The command's own failure (not found, not executable) is its status, as a shell
        // reports it; the others are errors of the call.
        if (e.step == "execve") {
            reply.returnResults(e.code == ENOENT ? 127 : 126, e.describe());
            return;
        }
        if (e.code == ENOENT) throw sdbus::Error(wire::kNoSuchWorkload, e.message);
        if (e.code == EINVAL) throw sdbus::Error(wire::kInvalidArgs, e.message);
        throw sdbus::Error(wire::kFailed, e.describe());
    }
    *id_cell = *id;
    Call& call = calls_[*id];
    call.reply = std::move(reply);
    try {
        auto watch = watch_caller(connection_, *bus_daemon_, sender,
                                  [this, exec_id = *id] { caller_gone(exec_id); });
        call.watch = std::move(watch.slot);
        if (!watch.present) caller_gone(*id);
    } catch (...) {
        // Without a watch the command could outlive its caller: do not run it.
        caller_gone(*id);
        throw;
    }
}

void ExecCalls::ended(std::uint64_t id, const ExecEnd& end) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    try {
        it->second.reply.returnResults(end.status, end.failure);
    } catch (const std::exception& e) {
        log::warn("dbus: Exec reply not sent: {}", e.what());
    }
    forget(it);
}

void ExecCalls::caller_gone(std::uint64_t id) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    control_.cancel_exec(id);
    forget(it);
}

void ExecCalls::forget(std::map<std::uint64_t, Call>::iterator it) {
    dead_watches_.push_back(std::move(it->second.watch));
    calls_.erase(it);
}

void ExecCalls::collect() {
    dead_watches_.clear();
}

}  // namespace edgevisor::telemetry::dbus
