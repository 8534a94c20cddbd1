// edgevisor-checker: a workload that reports what it sees, for the launcher's tests.
//
//   edgevisor-checker report [PATH...]    JSON of the process's view; PATHs are probed for
//                                         writability and filesystem size
//   edgevisor-checker attempt NAME [ARG]  {"attempt":NAME,"errno":N,"error":"..."}; 0 = it worked
//   edgevisor-checker exit N              exits with status N
//   edgevisor-checker signals             prints "ready", then "got N" per signal; exits
//                                         100+N on SIGTERM
//   edgevisor-checker orphan MARKER       forks a child "sleep MARKER" and exits at once
//   edgevisor-checker sleep [MARKER]      sleeps for a long time
//   edgevisor-checker listen PORT         listens on 127.0.0.1:PORT, prints "listening",
//                                         accepts and closes connections until killed
//   edgevisor-checker http PORT CODE...   an HTTP server on 127.0.0.1:PORT answering the
//                                         n-th request with the n-th CODE (the last repeats)
//   edgevisor-checker after-line MODE ...  reads one line from stdin, then runs MODE ... (so a
//                                         test can change the host before the workload looks)
//   edgevisor-checker zombies             leaves an orphan that exits, waits, and prints
//                                         {"zombies":N}: how many zombies its namespace holds
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attempts.hpp"

extern char** environ;

namespace {

using nlohmann::json;

std::string read_link(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("error: ") + std::strerror(errno)
                 : std::string(buf, static_cast<std::size_t>(n));
}

std::vector<std::string> lines_of(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path.c_str())) {
        while (dirent* e = ::readdir(d))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                out.emplace_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

json namespaces() {
    json out = json::object();
    for (const char* ns : {"pid", "mnt", "ipc", "uts", "net", "cgroup", "user"})
        out[ns] = read_link(std::string("/proc/self/ns/") + ns);
    return out;
}

json status_fields() {
    json out = json::object();
    for (const auto& line : lines_of("/proc/self/status")) {
        for (const char* key :
             {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "NSpid"}) {
            std::string prefix = std::string(key) + ":";
            if (line.starts_with(prefix)) {
                auto value = line.substr(prefix.size());
                value.erase(0, value.find_first_not_of(" \t"));
                out[key] = value;
            }
        }
    }
    return out;
}

json ids() {
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    ::getresuid(&ru, &eu, &su);
    ::getresgid(&rg, &eg, &sg);
    std::vector<gid_t> groups(static_cast<std::size_t>(std::max(::getgroups(0, nullptr), 0)));
    int n = ::getgroups(static_cast<int>(groups.size()), groups.data());
    groups.resize(static_cast<std::size_t>(std::max(n, 0)));
    return {{"uid", {ru, eu, su}}, {"gid", {rg, eg, sg}}, {"groups", groups}};
}

json fds() {
    json out = json::object();
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return out;
    int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.' || std::atoi(e->d_name) == own) continue;
        out[e->d_name] = read_link(std::string("/proc/self/fd/") + e->d_name);
    }
    ::closedir(d);
    return out;
}

json rlimits() {
    static const std::pair<const char*, int> names[] = {
        {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},   {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE}, {"memlock", RLIMIT_MEMLOCK},
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"stack", RLIMIT_STACK}};
    json out = json::object();
    for (auto [name, resource] : names) {
        rlimit r{};
        ::getrlimit(static_cast<__rlimit_resource>(resource), &r);
        auto show = [](rlim_t v) {
            return v == RLIM_INFINITY ? json("unlimited") : json(static_cast<std::uint64_t>(v));
        };
        out[name] = {show(r.rlim_cur), show(r.rlim_max)};
    }
    return out;
}

json interfaces() {
    json out = json::object();
    if (struct if_nameindex* list = ::if_nameindex()) {
        int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        for (auto* i = list; i->if_index != 0; ++i) {
            ifreq req{};
            std::strncpy(req.ifr_name, i->if_name, IFNAMSIZ - 1);
            bool up =
                sock >= 0 && ::ioctl(sock, SIOCGIFFLAGS, &req) == 0 && (req.ifr_flags & IFF_UP);
            out[i->if_name] = up ? "up" : "down";
        }
        if (sock >= 0) ::close(sock);
        ::if_freenameindex(list);
    }
    return out;
}

// Writable = a file can be created in a directory, or an existing file opened for writing.
json probe(const std::string& path) {
    json out;
    struct statvfs vfs {};
    if (::statvfs(path.c_str(), &vfs) == 0)
        out["size"] = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    int err = 0;
    DIR* d = ::opendir(path.c_str());
    if (d != nullptr) {
        ::closedir(d);
        std::string probe_file = path + "/.edgevisor-checker-probe";
        int fd = ::open(probe_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            err = errno;
        else {
            ::close(fd);
            ::unlink(probe_file.c_str());
        }
    } else {
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            err = errno;
        else
            ::close(fd);
    }
    out["writable"] = err == 0;
    out["errno"] = err;
    if (d != nullptr) out["entries"] = list_dir(path);
    return out;
}

int report(int argc, char** argv) {
    json r;
    r["namespaces"] = namespaces();
    r["pid"] = ::getpid();
    r["ppid"] = ::getppid();
    utsname u{};
    ::uname(&u);
    r["hostname"] = u.nodename;
    r["ids"] = ids();
    r["status"] = status_fields();
    r["mountinfo"] = lines_of("/proc/self/mountinfo");
    r["fds"] = fds();
    r["rlimits"] = rlimits();
    char cwd[4096];
    r["cwd"] = ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : "";
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    r["env"] = env;
    r["dev"] = list_dir("/dev");
    r["interfaces"] = interfaces();
    r["sid"] = ::getsid(0);
    r["cgroup"] = lines_of("/proc/self/cgroup");
    r["uid_map"] = lines_of("/proc/self/uid_map");
    r["gid_map"] = lines_of("/proc/self/gid_map");
    json paths = json::object();
    for (int i = 2; i < argc; ++i) paths[argv[i]] = probe(argv[i]);
    r["paths"] = paths;
    std::cout << r.dump() << std::endl;
    return 0;
}

int attempt(int argc, char** argv) {
    if (argc < 3) return 2;
    std::string name = argv[2];
    std::string arg = argc > 3 ? argv[3] : "";
    for (const auto& a : edgevisor::checker::attempts()) {
        if (name != a.name) continue;
        int err = a.run(arg);
        std::cout << json{{"attempt", name},
                          {"arg", arg},
                          {"errno", err},
                          {"error", err == 0 ? "" : std::strerror(err)}}
                         .dump()
                  << std::endl;
        return 0;
    }
    std::cerr << "unknown attempt " << name << "; known:";
    for (const auto& a : edgevisor::checker::attempts())
        std::cerr << " " << a.name << "(" << a.usage << ")";
    std::cerr << "\n";
    return 2;
}

volatile sig_atomic_t g_last_signal = 0;

int signals() {
    // Handlers are needed: as pid 1 of its namespace, signals without one never arrive.
    // They stay blocked except inside sigsuspend, so one sent while we print is not lost
    // (with pause() it could land just before we wait and leave us waiting forever).
    struct sigaction sa {};
    sa.sa_handler = [](int sig) { g_last_signal = sig; };
    sigset_t caught, waiting;
    ::sigemptyset(&caught);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
        ::sigaction(sig, &sa, nullptr);
        ::sigaddset(&caught, sig);
    }
    ::sigprocmask(SIG_BLOCK, &caught, &waiting);
    std::cout << "ready" << std::endl;
    for (;;) {
        ::sigsuspend(&waiting);
        int sig = g_last_signal;
        std::cout << "got " << sig << std::endl;
        if (sig == SIGTERM) return 100 + sig;
    }
}

int orphan(const char* self, const char* marker) {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(self, self, "sleep", marker, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid > 0 ? 0 : 1;
}

// A grandchild that exits after its parent: an orphan, re-parented to pid 1, which must reap
// it. Then counts the processes in state Z that this pid namespace can see.
int zombies() {
    pid_t middle = ::fork();
    if (middle == 0) {
        if (::fork() == 0) {
            ::usleep(50 * 1000);  // after its parent, so that it is an orphan when it ends
            ::_exit(0);
        }
        ::_exit(0);
    }
    if (middle < 0) return 1;
    ::waitpid(middle, nullptr, 0);
    ::usleep(300 * 1000);
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        auto close = line.rfind(')');
        if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z')
            ++count;
    }
    std::cout << json{{"zombies", count}} << std::endl;
    return 0;
}

int listening_socket(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 64) != 0) {
        std::cerr << "listen " << port << ": " << std::strerror(errno) << std::endl;
        std::exit(1);
    }
    std::cout << "listening" << std::endl;
    return fd;
}

int listen_forever(int port) {
    int fd = listening_socket(port);
    for (;;) {
        int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) ::close(client);
    }
}

int serve_http(int port, const std::vector<int>& codes) {
    int fd = listening_socket(port);
    for (std::size_t n = 0;; ++n) {
        int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        char buf[4096];
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
            ssize_t got = ::read(client, buf, sizeof buf);
            if (got <= 0) break;
            request.append(buf, static_cast<std::size_t>(got));
        }
        int code = codes.empty() ? 200 : codes[std::min(n, codes.size() - 1)];
        std::string body = "request " + std::to_string(n + 1) + "\n";
        std::string reply = "HTTP/1.1 " + std::to_string(code) +
                            " X\r\nContent-Length: " + std::to_string(body.size()) +
                            "\r\nConnection: close\r\n\r\n" + body;
        (void)!::write(client, reply.data(), reply.size());
        ::close(client);
    }
}

int run_mode(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "report";
    if (mode == "after-line") {
        std::string line;
        std::getline(std::cin, line);
        return run_mode(argc - 1, argv + 1);
    }
    if (mode == "report") return report(argc, argv);
    if (mode == "attempt") return attempt(argc, argv);
    if (mode == "exit") return argc > 2 ? std::atoi(argv[2]) : 0;
    if (mode == "signals") return signals();
    if (mode == "listen" && argc > 2) return listen_forever(std::atoi(argv[2]));
    if (mode == "http" && argc > 2) {
        std::vector<int> codes;
        for (int i = 3; i < argc; ++i) codes.push_back(std::atoi(argv[i]));
        return serve_http(std::atoi(argv[2]), codes);
    }
    if (mode == "orphan") return orphan("/proc/self/exe", argc > 2 ? argv[2] : "orphan");
    if (mode == "zombies") return zombies();
    if (mode == "sleep") {
        // Without a marker argument, say so once running: tests signal only after this line.
        if (argc <= 2) std::cout << "ready" << std::endl;
        ::sleep(100000);
        return 0;
    }
    std::cerr << "usage: edgevisor-checker "
                 "report|attempt|exit|signals|listen|http|orphan|sleep|zombies|after-line ...\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    return run_mode(argc, argv);
}
