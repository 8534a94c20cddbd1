// What the benchmark sets up on the host, each piece undone by its destructor: a scratch
// directory, and the private mount namespace that crun and runc need on this machine.
#pragma once

#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::bench {

// A directory under /tmp; the files and directories created through it are removed, newest
// first, when it goes away.
class Workspace {
  public:
    static Result<Workspace> create();
    Workspace(Workspace&& other) noexcept;
    Workspace& operator=(Workspace&&) = delete;
    ~Workspace();

    [[nodiscard]] const std::string& dir() const { return created_.front(); }
    Result<std::string> make_dir(const std::string& name);
    Result<std::string> write_file(const std::string& name, const std::string& content);
    // A file some other code writes at this path: remove it with the workspace.
    std::string track_file(const std::string& name);

  private:
    explicit Workspace(std::string dir) { created_.push_back(std::move(dir)); }
    std::vector<std::string> created_;  // [0] is the workspace itself
};

// A mount namespace where crun and runc can work on a hybrid cgroup host: /sys/fs/cgroup is
// a bind of a child of the cgroup2 mount (they refuse a hybrid layout), and `rootfs` is a
// recursive bind of the host's / (pivot_root cannot pivot / onto itself). Launches enter it
// with setns just before the spawn, so the set-up is not counted in their time.
class OciMountNamespace {
  public:
    static Result<OciMountNamespace> create(const std::string& rootfs);
    OciMountNamespace(OciMountNamespace&& other) noexcept;
    OciMountNamespace& operator=(OciMountNamespace&&) = delete;
    ~OciMountNamespace();

    [[nodiscard]] int fd() const { return ns_.get(); }
    [[nodiscard]] int home_fd() const { return home_.get(); }
    [[nodiscard]] const std::string& cgroup_dir() const { return cgroup_dir_; }  // "" if unused

  private:
    OciMountNamespace() = default;
    UniqueFd ns_;
    UniqueFd home_;
    std::string cgroup_dir_;
};

}  // namespace edgevisor::bench
