// The secure defaults of a workload on the host's root, each tried from inside as an attacker
// would (issue 15): a private /tmp, /var/tmp and /run, hidden homes and supervisor paths, no
// mount propagation from the host, an init that is not dumpable, a staging directory that
// cannot be planted.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "launcher_support.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    REQUIRE(out.good());
}

// A file that stays on the host for the scope (in a directory every test may write to).
class HostFile {
  public:
    explicit HostFile(fs::path path) : path_(std::move(path)) { write_text(path_, "host\n"); }
    ~HostFile() {
        std::error_code ec;
        fs::remove(path_, ec);
    }
    HostFile(const HostFile&) = delete;
    HostFile& operator=(const HostFile&) = delete;
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

std::string unique(const std::string& stem) {
    return stem + "-" + std::to_string(::getpid());
}

}  // namespace

TEST_CASE("secure: on the host's root, /tmp, /var/tmp and /run are fresh and private") {
    require_root();
    HostFile in_var_tmp("/var/tmp/" + unique("edgevisor-host-file"));
    HostFile in_run("/run/" + unique("edgevisor-host-file"));
    auto w = checker_workload({"report", "/tmp", "/var/tmp", "/run", "/dev/shm"});
    w.spec.isolation.mounts.clear();  // the defaults alone, no /tmp of the test's own
    auto r = run_json(w);
    for (const char* dir : {"/tmp", "/var/tmp", "/run", "/dev/shm"}) {
        INFO(dir);
        CHECK(has_mount_at(r, dir, "tmpfs"));
        CHECK(r["paths"][dir]["entries"] == json::array());
    }
    CHECK(r["paths"]["/tmp"]["writable"] == true);
    CHECK(r["paths"]["/var/tmp"]["writable"] == true);
    CHECK(fs::exists(in_run.path()));  // the host's files are untouched
}

TEST_CASE("secure: a root-only socket under the host's /run cannot be reached") {
    require_root();
    const fs::path socket_path = "/run/" + unique("edgevisor-root-only") + ".sock";
    auto listener = listen_unix(socket_path);
    auto w = checker_workload({});
    CHECK(attempt(w, "connect_unix", socket_path.string()) == ENOENT);
    ::unlink(socket_path.c_str());
}

TEST_CASE("secure: /home, /root and the supervisor's paths are empty and read-only") {
    require_root();
    HostDir host;
    const auto config = host.path() / "etc-edgevisor";
    fs::create_directory(config);
    write_text(config / "mqtt-key.pem", "secret\n");
    isolation::LauncherOptions options;
    options.supervisor_paths = {config.string()};
    auto w = checker_workload({"report", "/home", "/root", config.string()});
    auto r = run_json(w, options);
    for (const std::string& dir : {std::string("/home"), std::string("/root"), config.string()}) {
        INFO(dir);
        CHECK(r["paths"][dir]["entries"] == json::array());
        CHECK(r["paths"][dir]["writable"] == false);
        CHECK(r["paths"][dir]["errno"] == EROFS);
    }
    w.spec.command = {kChecker, "attempt", "open_read", (config / "mqtt-key.pem").string()};
    CHECK(run_json(w, options)["errno"] == ENOENT);
}

TEST_CASE("secure: an explicit mount overrides a private default, also below a hidden path") {
    require_root();
    HostDir host;
    write_text(host.path() / "data.txt", "shared\n");
    auto w = checker_workload({"report", "/tmp", "/home", "/home/app/data"});
    manifests::Mount bind;
    bind.source = host.path().string();
    bind.target = "/home/app/data";
    bind.read_only = true;
    w.spec.isolation.mounts.push_back(bind);
    auto r = run_json(w);
    // checker_workload's own /tmp of 16 MiB, not the default one.
    CHECK(r["paths"]["/tmp"]["size"] == 16 * 1024 * 1024);
    CHECK(r["paths"]["/home/app/data"]["entries"] == json::array({"data.txt"}));
    CHECK(r["paths"]["/home"]["entries"] == json::array({"app"}));
    CHECK(r["paths"]["/home"]["errno"] == EROFS);  // sealed once the bind was in place
}

TEST_CASE("secure: a mount the host makes after the start does not appear in the workload") {
    require_root();
    // This machine's / is private; a systemd host's is shared. Make it shared, in a mount
    // namespace of this test process only.
    REQUIRE(::unshare(CLONE_NEWNS) == 0);
    REQUIRE(::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr) == 0);
    HostDir host;
    const auto late = host.path() / "late";
    fs::create_directory(late);

    int in[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    UniqueFd stdin_read{in[0]}, stdin_write{in[1]};
    isolation::LaunchRequest request;
    request.stdin_fd = stdin_read.get();
    auto w = checker_workload({"after-line", "report", late.string()});
    auto started = start(w, {}, request);
    stdin_read.reset();

    REQUIRE(::mount("tmpfs", late.c_str(), "tmpfs", 0, "size=1m") == 0);
    REQUIRE(::write(stdin_write.get(), "go\n", 3) == 3);
    stdin_write.reset();
    auto out = finish(started);
    ::umount2(late.c_str(), MNT_DETACH);
    INFO(out.out);
    REQUIRE(WIFEXITED(out.status));
    auto r = json::parse(out.out);
    CHECK_FALSE(has_mount_at(r, late.string()));
    CHECK(r["paths"][late.string()]["writable"] == false);
    CHECK(r["paths"][late.string()]["errno"] == EROFS);
}

TEST_CASE("secure: the init's /proc/1/environ, mem and exe cannot be opened by the workload") {
    for (bool user_namespace : {true, false}) {
        auto w = checker_workload({});
        w.spec.isolation.init = true;
        // Root with every namespace but user is where a dumpable init was open to it.
        w.spec.isolation.namespaces = {manifests::Namespace::pid, manifests::Namespace::mount,
                                       manifests::Namespace::ipc, manifests::Namespace::uts,
                                       manifests::Namespace::net, manifests::Namespace::cgroup};
        if (user_namespace) w.spec.isolation.namespaces.push_back(manifests::Namespace::user);
        INFO("user namespace " << user_namespace);
        CHECK(attempt(w, "open_read", "/proc/1/environ") == EACCES);
        CHECK(attempt(w, "open_rdwr", "/proc/1/mem") == EACCES);
        CHECK(attempt(w, "open_read", "/proc/1/exe") == EACCES);
        // The command itself (pid 2, after its execve) is an ordinary dumpable process.
        CHECK(attempt(w, "open_read", "/proc/self/environ") == 0);
    }
}

TEST_CASE("secure: the staging directory is refused when it is a symlink or writable by others") {
    require_root();
    HostDir host;
    const auto elsewhere = host.path() / "elsewhere";
    fs::create_directory(elsewhere);
    fs::create_directory_symlink(elsewhere, host.path() / "link");
    isolation::LauncherOptions options;
    options.runtime_dir = (host.path() / "link").string();
    auto w = checker_workload({});
    CHECK(start_error(w, options) == "checker: start failed at rootfs_stage(" +
                                         options.runtime_dir +
                                         "): Not a directory");  // O_DIRECTORY | O_NOFOLLOW
    const auto open_dir = host.path() / "open";
    fs::create_directory(open_dir);
    fs::permissions(open_dir, fs::perms(0777));
    options.runtime_dir = open_dir.string();
    CHECK(start_error(w, options) ==
          "checker: start failed at rootfs_stage(" + open_dir.string() +
              "): owned by uid 0 or writable by others; refusing to mount there");
    CHECK(fs::is_empty(elsewhere));
}
