// The "files" layer: the manifest directory (paths.manifests), watched with inotify.
//   - *.yaml and *.yml only; names starting with '.' or '#' (editors' swap, lock and backup
//     files: .x.yaml.swp, .#x.yaml, #x.yaml#) and anything else are ignored;
//   - changes are applied `debounce` after the last one (an editor's save is several events);
//   - a FIFO, a directory named x.yaml, a dangling symlink or an unreadable file is an error
//     for that file, never a hang (opened O_NONBLOCK, only regular files are read);
//   - a file that fails validation keeps its last good workloads, and its errors (with
//     file:line:col) are kept for status until it is fixed or removed;
//   - a deleted file takes its workloads with it.
// Only changed files (inode, size, mtime) are parsed again.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "desired.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::supervisor {

class ManifestDir {
  public:
    explicit ManifestDir(std::string dir) : dir_(std::move(dir)) {}

    // Reads the directory again. True when the good workloads changed.
    bool rescan();
    // The good workloads of every file, in file name order; a name defined by an earlier file
    // wins and the later definition is an error.
    [[nodiscard]] std::vector<const DesiredWorkload*> workloads() const;
    // Errors of the files (and duplicate names), for status.
    [[nodiscard]] std::vector<manifests::Diagnostic> errors() const;
    [[nodiscard]] const std::string& dir() const { return dir_; }
    // Total of rescans that changed something: the layer's revision.
    [[nodiscard]] std::uint64_t revision() const { return revision_; }

    // inotify on the directory; on_change runs `debounce` after the last change.
    Status watch(EventLoop& loop, std::chrono::milliseconds debounce,
                 std::function<void()> on_change);

  private:
    struct File {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = -1;
        long long mtime_ns = -1;
        std::vector<DesiredWorkload> good;
        std::vector<manifests::Diagnostic> errors;
    };
    bool read_file(const std::string& name, File& file);
    Status drain_inotify();

    std::string dir_;
    std::map<std::string, File> files_;
    std::vector<manifests::Diagnostic> dir_errors_;
    std::uint64_t revision_ = 0;
    UniqueFd inotify_;
    Source inotify_source_, debounce_timer_;
    EventLoop* loop_ = nullptr;
    std::chrono::milliseconds debounce_{200};
    std::function<void()> on_change_;
};

// Whether a directory entry is one the manifest directory reads.
bool is_manifest_name(std::string_view name);

}  // namespace edgevisor::supervisor
