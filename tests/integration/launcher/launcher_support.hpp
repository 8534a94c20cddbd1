// Helpers for the launcher's integration tests: a default workload running the checker, a
// run-and-collect function, a tiny root filesystem, and the host's own view for comparison.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "id_range.hpp"
#include "staged_program.hpp"

namespace edgevisor::testing {

// The checker as workloads see it (staged_program: out of a build tree under /tmp).
inline const std::string kChecker = staged_program(EDGEVISOR_CHECKER);

// A workload named "checker" running the checker with `args`, with the manifest defaults
// (every namespace, user included; network none; host root read-only) plus tmpfs /tmp of 16 MiB.
manifests::Workload checker_workload(std::vector<std::string> args);

// The workload without the user namespace (the opt-out): root inside is the host's root, and
// the read-only mounts are all that stops a write.
manifests::Workload without_user(manifests::Workload workload);

struct RunOutput {
    std::string out;  // the workload's stdout
    int status = -1;  // wait status
};

// A launched workload whose stdout the test reads when it likes (run() = start + finish).
struct Started {
    isolation::Process process;
    UniqueFd stdout_read;
};
Started start(const manifests::Workload& workload, isolation::LauncherOptions options = {},
              isolation::LaunchRequest request = {});
RunOutput finish(Started& started);

// Launches and waits. Fails the test (REQUIRE) if the launch fails.
RunOutput run(const manifests::Workload& workload, isolation::LauncherOptions options = {},
              isolation::LaunchRequest request = {});
nlohmann::json run_json(const manifests::Workload& workload,
                        isolation::LauncherOptions options = {},
                        isolation::LaunchRequest request = {});

// The start error's describe() text (REQUIREs that the launch failed).
std::string start_error(const manifests::Workload& workload,
                        isolation::LauncherOptions options = {});

// errno of one checker attempt inside a workload built from `base` (command replaced).
int attempt(manifests::Workload base, const std::string& name, const std::string& arg);

std::string host_namespace(const std::string& ns);

// The first 4 KiB of a (proc, sys, cgroup) file; empty when it cannot be read (gone, absent).
std::string read_small_file(const std::filesystem::path& path);

// A directory tree usable as rootfs.path: /checker (static), proc dev sys tmp etc, removed at
// the end of the scope.
class TinyRootfs {
  public:
    TinyRootfs();
    ~TinyRootfs();
    TinyRootfs(const TinyRootfs&) = delete;
    TinyRootfs& operator=(const TinyRootfs&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// A listening Unix socket at `path`, mode 0600, owned by root: a host socket that trusts uid 0.
UniqueFd listen_unix(const std::filesystem::path& path);

// A directory on the host's root outside the paths a workload gets fresh (/tmp, /var/tmp,
// /run): /var/lib/edgevisor-tests/XXXXXX, mode 0755, removed at the end of the scope.
class HostDir {
  public:
    HostDir();
    ~HostDir();
    HostDir(const HostDir&) = delete;
    HostDir& operator=(const HostDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// A host process (sleep) for the tests that try to reach it; killed at the end of the scope.
class HostSleeper {
  public:
    HostSleeper();
    ~HostSleeper();
    HostSleeper(const HostSleeper&) = delete;
    HostSleeper& operator=(const HostSleeper&) = delete;
    [[nodiscard]] pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
};

// Whether the kernel makes an idmapped mount of `dir` (mount_setattr(MOUNT_ATTR_IDMAP): Linux
// 5.12+, and a filesystem that supports it: not tmpfs before 6.3, as the test guest's root).
// Where not, the launcher takes its documented fallback (a plain bind) and the tests assert that.
bool idmapped_mounts_work(const std::filesystem::path& dir);

// What opening a host file for writing gives root inside a user namespace behind the read-only
// root: EACCES (the file's permissions ask first), or EROFS where the host itself has the file
// on a read-only filesystem (the test guest's /etc: a read-only 9p share), asked before them.
int host_file_write_errno(const std::string& path);

bool has_mount_at(const nlohmann::json& report, const std::string& mount_point,
                  const std::string& fstype = "");
std::string mount_options(const nlohmann::json& report, const std::string& mount_point);

}  // namespace edgevisor::testing
