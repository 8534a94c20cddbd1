// A system without /etc/passwd and /etc/group (busybox, distroless), made for one launch: a
// forked child unshares its mount namespace and covers /etc with an empty tmpfs, then launches
// a workload through the real Launcher and reports what it printed (or the start error). Used
// on the host (tests/integration/launcher) and in the QEMU guest (tests/vm) alike.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::testing {

// The workload prints "<uid> <gid> <HOME>" as it sees them; `user` is a manifest line such as
// "  user: {uid: 4242}\n" (or empty: the default).
inline std::string identity_manifest(const std::string& user) {
    return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: no-passwd}\nspec:\n"
           "  command: [/bin/busybox, sh, -c, 'echo \"$(busybox id -u) $(busybox id -g) "
           "$HOME\"']\n" +
           user + "  isolation: {namespaces: [pid, mount, ipc, uts, net]}\n";
}

namespace detail {

inline std::string launch_and_read(const std::string& yaml) {
    auto loaded = manifests::parse_text(yaml, "no-passwd.yaml");
    if (!loaded.ok()) return "invalid manifest: " + loaded.diagnostics.at(0).format();
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    isolation::LaunchRequest request;
    request.workload = &loaded.workloads.front();
    request.stdout_fd = out[1];
    auto process = isolation::Launcher().launch(request);
    ::close(out[1]);
    std::string text;
    if (!process) {
        text = "start failed: " + process.error().describe();
    } else {
        char buffer[512];
        for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;)
            text.append(buffer, static_cast<std::size_t>(n));
        (void)isolation::wait_exit(*process);
    }
    ::close(out[0]);
    return text;
}

}  // namespace detail

// Launches the manifest where /etc is empty; returns its output or "start failed: ...".
inline std::string launch_without_passwd(const std::string& yaml) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string text;
        if (::unshare(CLONE_NEWNS) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", "/etc", "tmpfs", 0, "mode=755") != 0)
            text = std::string("setup: ") + std::strerror(errno);
        else if (::access("/etc/passwd", F_OK) == 0)
            text = "setup: /etc/passwd still visible";
        else
            text = detail::launch_and_read(yaml);
        [[maybe_unused]] auto n = ::write(report[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(report[1]);
    std::string text;
    char buffer[512];
    for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    ::close(report[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return text;
}

}  // namespace edgevisor::testing
