#include "session_counter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string>

#include "edgevisor/unique_fd.hpp"

namespace edgevisor::telemetry::mqtt::detail {
namespace {

std::uint64_t read_last(const std::filesystem::path& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return 0;
    char buffer[32] = {};
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
    std::uint64_t value = 0;
    if (n > 0) std::from_chars(buffer, buffer + n, value);
    return value;
}

Status write_synced(const std::filesystem::path& dir, const std::string& text) {
    auto temp = dir / "mqtt-session.tmp";
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return fail_errno("mqtt.session", "cannot create " + temp.string());
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd.get()) != 0)
        return fail_errno("mqtt.session", "cannot write " + temp.string());
    if (::rename(temp.c_str(), (dir / "mqtt-session").c_str()) != 0)
        return fail_errno("mqtt.session", "cannot rename " + temp.string());
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd || ::fsync(dir_fd.get()) != 0)
        return fail_errno("mqtt.session", "cannot sync " + dir.string());
    return {};
}

}  // namespace

Result<std::uint64_t> next_session(const std::filesystem::path& state_dir) {
    std::uint64_t next = read_last(state_dir / "mqtt-session") + 1;
    if (auto written = write_synced(state_dir, std::to_string(next) + "\n"); !written)
        return std::unexpected(written.error());
    return next;
}

}  // namespace edgevisor::telemetry::mqtt::detail
