#include "daemon_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace edgevisor::testing {
namespace fs = std::filesystem;

std::string cgroup2_mount() {
    std::ifstream mounts("/proc/self/mounts");
    std::string dev, point, type, rest;
    while (mounts >> dev >> point >> type && std::getline(mounts, rest))
        if (type == "cgroup2") return point;
    return "";
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

bool process_alive(pid_t pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' &&
           stat[close + 2] != 'X';
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string workload_yaml(const std::string& name, const std::string& spec_lines) {
    return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: " + name + "}\nspec:\n" +
           spec_lines;
}

Daemon::Daemon(const std::string& extra_config, const std::string& node,
               const std::string& log_level) {
    static std::atomic<int> counter{0};
    char templ[] = "/tmp/edgevisord-test.XXXXXX";
    dir_ = ::mkdtemp(templ);
    subtree_ = "edgevisord-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    fs::create_directories(dir_ + "/manifests");
    config_path_ = dir_ + "/edgevisor.yaml";
    std::ofstream(config_path_) << "apiVersion: edgevisor/v1\nkind: NodeConfig\n"
                                << "node: " << node << "\n"
                                << "paths: {manifests: " << dir_ << "/manifests, state: " << dir_
                                << "/state, runtime: " << dir_ << "/run, logs: " << dir_
                                << "/logs}\n"
                                << "cgroup: {allowMissingControllers: true, layout: standalone, "
                                   "subtree: "
                                << subtree_ << "}\n"
                                << "log: {level: " << log_level << "}\n"
                                << extra_config;
}

Daemon::~Daemon() {
    if (pid_ > 0) kill9();
    // Whatever the test left: kill every process of the subtree, then remove it bottom-up.
    std::string root = subtree_dir();
    if (path_exists(root)) {
        std::ofstream(root + "/cgroup.kill") << "1";
        for (int i = 0; i < 200; ++i) {
            std::string events = read_text_file(root + "/cgroup.events");
            if (events.find("populated 0") != std::string::npos) break;
            std::this_thread::sleep_for(10ms);
        }
        std::vector<std::string> dirs;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
             it.increment(ec))
            if (it->is_directory()) dirs.push_back(it->path());
        std::sort(dirs.rbegin(), dirs.rend());
        for (const auto& d : dirs) ::rmdir(d.c_str());
        ::rmdir(root.c_str());
    }
    // The fd holder of a killed daemon exits once it has nothing left to hold.
    std::error_code ec;
    if (std::getenv("EDGEVISOR_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir_, ec);
}

void Daemon::start() {
    pid_ = ::fork();
    if (pid_ == 0) {
        int out = ::open((dir_ + "/daemon.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(out, 1);
        ::dup2(out, 2);
        for (const auto& [name, value] : env_) ::setenv(name.c_str(), value.c_str(), 1);
        if (open_files_soft_ != 0) {
            rlimit limit{};
            ::getrlimit(RLIMIT_NOFILE, &limit);
            limit.rlim_cur = open_files_soft_;
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        ::execl(program_.c_str(), "edgevisord", "--config", config_path_.c_str(), nullptr);
        ::_exit(127);
    }
}

int Daemon::stop(int signal, std::chrono::milliseconds deadline) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    auto until = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > until) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
    return status;
}

void Daemon::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    // The dead daemon's snapshot would answer the next wait_for (ready: true) before the
    // restarted daemon has written its own.
    std::error_code ec;
    fs::remove(dir_ + "/run/status.json", ec);
}

std::string Daemon::manifest_path(const std::string& file) const {
    return dir_ + "/manifests/" + file;
}

void Daemon::write_manifest(const std::string& file, const std::string& text) const {
    // Written beside and renamed in, as an editor or a deployment tool does.
    std::string temp = dir_ + "/manifests/." + file + ".tmp";
    std::ofstream(temp) << text;
    fs::rename(temp, manifest_path(file));
}

void Daemon::remove_manifest(const std::string& file) const {
    fs::remove(manifest_path(file));
}

Json Daemon::status() const {
    std::string text = read_text_file(dir_ + "/run/status.json");
    Json j = Json::parse(text, nullptr, false);
    return j.is_discarded() ? Json::object() : j;
}

std::optional<Json> Daemon::workload(const std::string& name) const {
    Json s = status();
    if (!s.contains("workloads")) return std::nullopt;
    for (const auto& w : s["workloads"])
        if (w.value("name", "") == name) return w;
    return std::nullopt;
}

bool Daemon::wait_for(const std::function<bool(const Json&)>& pred,
                      std::chrono::milliseconds deadline) const {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (pred(status())) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

bool Daemon::wait_state(const std::string& name, const std::string& state,
                        std::chrono::milliseconds deadline) const {
    return wait_for(
        [&](const Json&) {
            auto w = workload(name);
            return w && w->value("state", "") == state;
        },
        deadline);
}

std::string Daemon::log_text(const std::string& name) const {
    return read_text_file(dir_ + "/logs/" + name + ".log");
}

std::string Daemon::daemon_output() const {
    return read_text_file(dir_ + "/daemon.log");
}

std::string Daemon::subtree_dir() const {
    return cgroup2_mount() + "/" + subtree_;
}

std::string Daemon::cgroup_dir(const std::string& workload) const {
    return subtree_dir() + "/workloads/" + workload;
}

std::vector<pid_t> Daemon::cgroup_pids(const std::string& workload) const {
    std::vector<pid_t> pids;
    std::ifstream procs(cgroup_dir(workload) + "/cgroup.procs");
    pid_t pid;
    while (procs >> pid) pids.push_back(pid);
    return pids;
}

pid_t Daemon::fd_holder_pid() const {
    // /proc/net/unix names the sockets' inodes (the listener and each accepted connection
    // show the path); the holder has the listener as its fd 3.
    const std::string path = dir_ + "/run/fdholder.sock";
    std::ifstream table("/proc/net/unix");
    std::set<std::string> wanted;
    for (std::string line; std::getline(table, line);) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string x; fields >> x;) f.push_back(x);
        if (f.size() >= 8 && f[7] == path) wanted.insert("socket:[" + f[6] + "]");
    }
    if (wanted.empty()) return -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::error_code link_ec;
        if (wanted.contains(fs::read_symlink(entry.path() / "fd" / "3", link_ec).string()))
            return static_cast<pid_t>(std::stol(name));
    }
    return -1;
}

std::size_t open_fd_count(pid_t pid) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

}  // namespace edgevisor::testing
