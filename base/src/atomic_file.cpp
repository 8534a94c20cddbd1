#include "edgevisor/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "edgevisor/unique_fd.hpp"

namespace edgevisor {

namespace {

Status write_atomic(const std::filesystem::path& path, std::string_view content, CutAfter cut,
                    bool sync) {
    const std::string target = path.string();
    const std::string temp = target + ".tmp";
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return fail_errno("persist", "open(" + temp + ")");
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("persist", "write(" + temp + ")");
        done += static_cast<std::size_t>(n);
    }
    if (cut == CutAfter::temp_written) return {};
    if (sync && ::fsync(fd.get()) != 0) return fail_errno("persist", "fsync(" + temp + ")");
    fd.reset();
    if (cut == CutAfter::temp_synced) return {};
    if (::rename(temp.c_str(), target.c_str()) != 0)
        return fail_errno("persist", "rename(" + temp + ", " + target + ")");
    if (cut == CutAfter::renamed || !sync) return {};
    // The rename is durable only once the directory entry is.
    auto dir = path.parent_path().empty() ? std::string(".") : path.parent_path().string();
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd || ::fsync(dir_fd.get()) != 0) return fail_errno("persist", "fsync(" + dir + ")");
    return {};
}

}  // namespace

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         CutAfter cut) {
    return write_atomic(path, content, cut, true);
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         Durability durability) {
    return write_atomic(path, content, CutAfter::nothing, durability == Durability::power_cut);
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t limit) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return fail_errno("read", "open(" + path.string() + ")");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("read", "fstat(" + path.string() + ")");
    if (!S_ISREG(st.st_mode)) return fail("read", path.string() + ": not a regular file", EINVAL);
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("read", "read(" + path.string() + ")");
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > limit)
            return fail("read", path.string() + ": larger than " + std::to_string(limit), EFBIG);
    }
    return text;
}

Status make_dirs(const std::filesystem::path& path, mode_t mode) {
    // Parents first; each missing one created with the mode (umask permitting), so that no
    // component of a private directory is briefly open to others.
    std::filesystem::path so_far;
    for (const auto& part : path) {
        so_far /= part;
        if (::mkdir(so_far.c_str(), mode) == 0 || errno == EEXIST) continue;
        return fail_errno("mkdir", "mkdir(" + so_far.string() + ")");
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail_errno("mkdir", "stat(" + path.string() + ")");
    if (!S_ISDIR(st.st_mode)) return fail("mkdir", path.string() + ": not a directory", ENOTDIR);
    return {};
}

}  // namespace edgevisor
