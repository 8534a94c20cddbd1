#include "launcher_support.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "id_range.hpp"
#include "skip.hpp"

namespace edgevisor::testing {

manifests::Workload checker_workload(std::vector<std::string> args) {
    manifests::Workload w;
    w.metadata.name = "checker";
    w.spec.command = {kChecker};
    w.spec.command.insert(w.spec.command.end(), args.begin(), args.end());
    manifests::Mount tmp;
    tmp.type = manifests::MountType::tmpfs;
    tmp.target = "/tmp";
    tmp.read_only = false;
    tmp.size = 16 * 1024 * 1024;
    w.spec.isolation.mounts.push_back(tmp);
    return w;
}

manifests::Workload without_user(manifests::Workload workload) {
    std::erase(workload.spec.isolation.namespaces, manifests::Namespace::user);
    return workload;
}

#ifndef EDGEVISOR_INIT
#define EDGEVISOR_INIT EDGEVISOR_BINARY_DIR "/libexec/edgevisor/edgevisor-init"
#endif

// The init of this build tree, unless the test names another.
isolation::LauncherOptions with_built_init(isolation::LauncherOptions options) {
    if (options.init_path == isolation::LauncherOptions{}.init_path)
        options.init_path = EDGEVISOR_INIT;
    return options;
}

Started start(const manifests::Workload& workload, isolation::LauncherOptions options,
              isolation::LaunchRequest request) {
    require_root();
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    UniqueFd read_end{pipe_fds[0]};
    UniqueFd write_end{pipe_fds[1]};
    request.workload = &workload;
    request.stdout_fd = write_end.get();
    if (!request.id_range) request.id_range = test_id_range(workload);
    isolation::Launcher launcher(with_built_init(std::move(options)));
    auto process = launcher.launch(request);
    if (!process) FAIL("launch failed: " << process.error().describe());
    return Started{std::move(*process), std::move(read_end)};
}

RunOutput finish(Started& started) {
    RunOutput result;
    char buf[65536];
    for (ssize_t n; (n = ::read(started.stdout_read.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        REQUIRE(n > 0);
        result.out.append(buf, static_cast<std::size_t>(n));
    }
    auto status = isolation::wait_exit(started.process);
    REQUIRE(status.has_value());
    result.status = *status;
    return result;
}

RunOutput run(const manifests::Workload& workload, isolation::LauncherOptions options,
              isolation::LaunchRequest request) {
    auto started = start(workload, std::move(options), std::move(request));
    return finish(started);
}

nlohmann::json run_json(const manifests::Workload& workload, isolation::LauncherOptions options,
                        isolation::LaunchRequest request) {
    auto out = run(workload, options, std::move(request));
    INFO("checker output: " << out.out);
    REQUIRE(WIFEXITED(out.status));
    REQUIRE(WEXITSTATUS(out.status) == 0);
    return nlohmann::json::parse(out.out);
}

std::string start_error(const manifests::Workload& workload, isolation::LauncherOptions options) {
    require_root();
    isolation::Launcher launcher(with_built_init(std::move(options)));
    isolation::LaunchRequest request;
    request.workload = &workload;
    request.id_range = test_id_range(workload);
    auto process = launcher.launch(request);
    REQUIRE_FALSE(process.has_value());
    // Nothing of the workload is left: no child to reap.
    CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
    return process.error().describe();
}

int attempt(manifests::Workload base, const std::string& name, const std::string& arg) {
    base.spec.command = {kChecker, "attempt", name, arg};
    auto report = run_json(base);
    INFO("attempt " << name << " " << arg << ": " << report.dump());
    return report.at("errno").get<int>();
}

std::string host_namespace(const std::string& ns) {
    return std::filesystem::read_symlink("/proc/self/ns/" + ns).string();
}

std::string read_small_file(const std::filesystem::path& path) {
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    char buf[4096];
    ssize_t n = fd ? ::read(fd.get(), buf, sizeof buf) : -1;
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

TinyRootfs::TinyRootfs() {
    char tmpl[] = "/tmp/edgevisor-rootfs-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
    for (const char* dir : {"proc", "dev", "sys", "tmp", "etc", "data"})
        std::filesystem::create_directory(path_ / dir);
    std::filesystem::copy_file(kChecker, path_ / "checker");
}

TinyRootfs::~TinyRootfs() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

bool idmapped_mounts_work(const std::filesystem::path& dir) {
    // A user namespace to idmap with (any mapped one but the initial one): a child's, alive
    // until opened; an idmapping without maps is refused (EINVAL) whatever the kernel offers.
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    UniqueFd ready_read{ready[0]}, ready_write{ready[1]};
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        char ok = ::unshare(CLONE_NEWUSER) == 0 ? '1' : '0';
        (void)::write(ready_write.get(), &ok, 1);
        ::pause();
        ::_exit(0);
    }
    ready_write.reset();
    char ok = '0';
    REQUIRE(::read(ready_read.get(), &ok, 1) == 1);
    const std::string proc = "/proc/" + std::to_string(child);
    bool mapped = ok == '1';
    for (const char* map : {"/uid_map", "/gid_map"}) {
        UniqueFd fd{::open((proc + map).c_str(), O_WRONLY | O_CLOEXEC)};
        mapped = mapped && fd && ::write(fd.get(), "0 65534 1", 9) == 9;
    }
    UniqueFd userns{::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC)};
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    REQUIRE(mapped);
    REQUIRE(userns);
    UniqueFd tree{static_cast<int>(
        ::syscall(SYS_open_tree, AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC))};
    if (!tree) return false;  // ENOSYS: Linux < 5.2
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<std::uint64_t>(userns.get());
    return ::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) == 0;
}

int host_file_write_errno(const std::string& path) {
    struct statvfs vfs {};
    REQUIRE(::statvfs(path.c_str(), &vfs) == 0);
    return (vfs.f_flag & ST_RDONLY) != 0 ? EROFS : EACCES;
}

HostDir::HostDir() {
    const std::filesystem::path base = "/var/lib/edgevisor-tests";
    std::filesystem::create_directories(base);
    std::string tmpl = (base / "XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
}

HostDir::~HostDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

HostSleeper::HostSleeper() {
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    REQUIRE(pid_ > 0);
}

HostSleeper::~HostSleeper() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

namespace {

// mountinfo: "id parent maj:min root mount_point options [optional...] - fstype source super"
struct MountLine {
    std::string mount_point, options, fstype;
};

MountLine parse_mount(const std::string& line) {
    std::istringstream in(line);
    MountLine m;
    std::string skip;
    in >> skip >> skip >> skip >> skip >> m.mount_point >> m.options;
    while (in >> skip && skip != "-") {
    }
    in >> m.fstype;
    return m;
}

}  // namespace

bool has_mount_at(const nlohmann::json& report, const std::string& mount_point,
                  const std::string& fstype) {
    for (const auto& line : report.at("mountinfo")) {
        auto m = parse_mount(line.get<std::string>());
        if (m.mount_point == mount_point && (fstype.empty() || m.fstype == fstype)) return true;
    }
    return false;
}

// Options of the topmost mount at mount_point (the last line naming it).
std::string mount_options(const nlohmann::json& report, const std::string& mount_point) {
    std::string options;
    for (const auto& line : report.at("mountinfo")) {
        auto m = parse_mount(line.get<std::string>());
        if (m.mount_point == mount_point) options = m.options;
    }
    return options;
}

UniqueFd listen_unix(const std::filesystem::path& path) {
    UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    REQUIRE(fd);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    REQUIRE(::listen(fd.get(), 4) == 0);
    return fd;
}

}  // namespace edgevisor::testing
