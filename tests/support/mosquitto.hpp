// A real mosquitto broker for tests: its own config in a temp dir, a free loopback port,
// killed (SIGKILL) and restarted on the same port at will, always stopped at the end. Also the
// broker's own clients (mosquitto_pub, mosquitto_sub), so that what a test checks went through
// programs we did not write.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "skip.hpp"

extern char** environ;

namespace edgevisor::testing {

inline std::filesystem::path make_temp_dir(const std::string& tag) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("edgevisor-" + tag + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A child process with stdout and stderr to files; killed and reaped when destroyed.
class Child {
  public:
    Child() = default;
    Child(const std::vector<std::string>& argv, const std::filesystem::path& out,
          const std::filesystem::path& err, const std::vector<std::string>& extra_env = {}) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        std::vector<std::string> env_text;
        for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
        for (const auto& e : extra_env) env_text.push_back(e);
        std::vector<char*> env;
        for (auto& e : env_text) env.push_back(e.data());
        env.push_back(nullptr);
        int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), env.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
    Child& operator=(Child&& other) noexcept {
        if (this != &other) {
            kill(SIGKILL);
            pid_ = std::exchange(other.pid_, -1);
        }
        return *this;
    }
    ~Child() { kill(SIGKILL); }

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running() const { return pid_ > 0; }
    // Sends sig and reaps; returns the wait status (or -1 when nothing ran).
    int kill(int sig) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, sig);
        return wait();
    }
    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return status;
    }
    // The exit status once it has exited, without waiting; nullopt while it runs.
    std::optional<int> poll() {
        int status = 0;
        if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
        pid_ = -1;
        return status;
    }

  private:
    pid_t pid_ = -1;
};

inline bool program_exists(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline bool port_accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// A TLS listener: the broker's CA, certificate and key; with require_certificate, clients must
// show a certificate signed by that CA. client_args: what the test's own mosquitto_pub and
// mosquitto_sub pass to reach it (--cafile, --cert, --key).
struct BrokerTls {
    std::filesystem::path ca, cert, key;
    bool require_certificate = false;
    std::vector<std::string> client_args = {};
};

class Broker {
  public:
    explicit Broker(std::optional<BrokerTls> tls = std::nullopt)
        : dir_(make_temp_dir("mosquitto")), port_(free_port()), tls_(std::move(tls)) {
        if (!program_exists("mosquitto"))
            skip("mosquitto is not installed (apt-get install mosquitto mosquitto-clients)");
        std::string conf = "listener " + std::to_string(port_) +
                           " 127.0.0.1\nallow_anonymous true\npersistence true\n"
                           "persistence_location " +
                           dir_.string() +
                           "/\nautosave_interval 1\nset_tcp_nodelay true\nlog_dest file " +
                           (dir_ / "broker.log").string() + "\nlog_type all\n";
        // set_tcp_nodelay: as EMQX does by default; with mosquitto's Nagle on, the peer's
        // delayed ACK (40 ms) would be in the fleet benchmark's round trips.
        // As root, mosquitto would drop to its own user, who cannot read our private temp dirs.
        if (::geteuid() == 0) conf += "user root\n";
        if (tls_)
            conf += "cafile " + tls_->ca.string() + "\ncertfile " + tls_->cert.string() +
                    "\nkeyfile " + tls_->key.string() + "\nrequire_certificate " +
                    (tls_->require_certificate ? "true" : "false") + "\n";
        write_file(dir_ / "mosquitto.conf", conf);
        start();
    }
    ~Broker() {
        process_.kill(SIGKILL);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url() const {
        return (tls_ ? "mqtts://127.0.0.1:" : "mqtt://127.0.0.1:") + std::to_string(port_);
    }
    [[nodiscard]] std::string log() const { return read_file(dir_ / "broker.log"); }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

    void start() {
        process_ = Child({"mosquitto", "-c", (dir_ / "mosquitto.conf").string()},
                         dir_ / "stdout.log", dir_ / "stderr.log");
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!port_accepts(port_)) {
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("mosquitto did not listen: " + log() +
                                         read_file(dir_ / "stderr.log"));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    // SIGKILL: no will is sent, no session saved beyond the last autosave.
    void kill() { process_.kill(SIGKILL); }

    // The options the test's own clients need for this broker's listener (TLS).
    [[nodiscard]] std::vector<std::string> client_args() const {
        return tls_ ? tls_->client_args : std::vector<std::string>{};
    }

    // mosquitto_pub's exit status. `args` follow the connection options (e.g. -t T -m M -r).
    int pub(const std::vector<std::string>& args) const {
        std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port_) + " -q 1";
        for (const auto& a : client_args()) cmd += " '" + a + "'";
        for (const auto& a : args) cmd += " '" + a + "'";
        return std::system(cmd.c_str());
    }
    // Publishes the bytes of `payload` (any bytes, also invalid UTF-8) to topic.
    int pub_bytes(const std::string& topic, const std::string& payload, bool retain) const {
        auto file = dir_ / "payload.bin";
        write_file(file, payload);
        std::vector<std::string> args{"-t", topic, "-f", file.string()};
        if (retain) args.push_back("-r");
        return pub(args);
    }

  private:
    std::filesystem::path dir_;
    int port_;
    std::optional<BrokerTls> tls_;
    Child process_;
};

// mosquitto_sub on some topics, each line "<retained 0|1> <topic> <payload>", into a file.
class Subscriber {
  public:
    Subscriber(const Broker& broker, const std::vector<std::string>& topics)
        : dir_(make_temp_dir("sub")) {
        std::string id = "sub-" + std::to_string(::getpid()) + "-" + std::to_string(++count());
        std::vector<std::string> argv{"mosquitto_sub",
                                      "-h",
                                      "127.0.0.1",
                                      "-p",
                                      std::to_string(broker.port()),
                                      "-q",
                                      "1",
                                      "-i",
                                      id,
                                      "-F",
                                      "%r %t %p"};
        for (const auto& a : broker.client_args()) argv.push_back(a);
        for (const auto& t : topics) {
            argv.push_back("-t");
            argv.push_back(t);
        }
        std::string probe = "edgevisor-test/probe/" + id;
        argv.insert(argv.end(), {"-t", probe});
        process_ = Child(argv, dir_ / "out", dir_ / "err");
        // Subscribed once a probe comes back: a message published before would be missed.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (read_file(dir_ / "out").find(probe) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("mosquitto_sub did not subscribe");
            broker.pub({"-q", "0", "-t", probe, "-m", "probe"});
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ~Subscriber() {
        process_.kill(SIGKILL);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    [[nodiscard]] std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::istringstream in(read_file(dir_ / "out"));
        for (std::string line; std::getline(in, line);)
            if (line.find(" edgevisor-test/probe/") == std::string::npos) out.push_back(line);
        return out;
    }
    // Lines whose topic ends with `suffix`, payloads only.
    [[nodiscard]] std::vector<std::string> payloads(const std::string& suffix) const {
        std::vector<std::string> out;
        for (const auto& line : lines()) {
            auto topic_end = line.find(' ', 2);
            if (topic_end == std::string::npos) continue;
            std::string topic = line.substr(2, topic_end - 2);
            if (topic.size() >= suffix.size() &&
                topic.compare(topic.size() - suffix.size(), suffix.size(), suffix) == 0)
                out.push_back(line.substr(topic_end + 1));
        }
        return out;
    }

  private:
    static int& count() {
        static int n = 0;
        return n;
    }
    std::filesystem::path dir_;
    Child process_;
};

}  // namespace edgevisor::testing
