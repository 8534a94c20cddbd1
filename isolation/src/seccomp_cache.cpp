// File format (native byte order: a cache never leaves the machine that wrote it):
//   "EVSECBPF" | u32 format version | u32 instructions | u32 warnings | u32 payload bytes
//   | 64 hex digits: SHA-256 of the payload
//   payload: the sock_filter array, then each warning as u32 length + bytes.
// The checksum catches a truncated or damaged file; ownership and mode checks keep others out.
#include "seccomp_cache.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "edgevisor/log.hpp"
#include "edgevisor/sha256.hpp"

namespace edgevisor::isolation::seccomp_detail {
namespace {

constexpr std::string_view kMagic = "EVSECBPF";
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kChecksumSize = 64;
constexpr std::size_t kHeaderSize = kMagic.size() + 4 * sizeof(std::uint32_t) + kChecksumSize;
// A program is at most BPF_MAXINSNS instructions; warnings are a few lines. Anything larger
// is not ours.
constexpr off_t kMaxFileSize = 1 << 20;

void put_u32(std::string& out, std::uint32_t value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Reads a u32 at `offset`, advancing it; false when the data ends first.
bool get_u32(std::string_view data, std::size_t& offset, std::uint32_t& value) {
    if (data.size() - offset < sizeof value) return false;
    std::memcpy(&value, data.data() + offset, sizeof value);
    offset += sizeof value;
    return true;
}

std::string encode(const SeccompProgram& program) {
    std::string payload(reinterpret_cast<const char*>(program.instructions.data()),
                        program.instructions.size() * sizeof(sock_filter));
    for (const auto& warning : program.warnings) {
        put_u32(payload, static_cast<std::uint32_t>(warning.size()));
        payload += warning;
    }
    std::string out(kMagic);
    put_u32(out, kFormatVersion);
    put_u32(out, static_cast<std::uint32_t>(program.instructions.size()));
    put_u32(out, static_cast<std::uint32_t>(program.warnings.size()));
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    out += sha256_hex(payload);
    out += payload;
    return out;
}

std::optional<SeccompProgram> decode(std::string_view data) {
    if (data.size() < kHeaderSize || data.substr(0, kMagic.size()) != kMagic) return std::nullopt;
    std::size_t offset = kMagic.size();
    std::uint32_t version = 0, instructions = 0, warnings = 0, payload_size = 0;
    get_u32(data, offset, version);
    get_u32(data, offset, instructions);
    get_u32(data, offset, warnings);
    get_u32(data, offset, payload_size);
    if (version != kFormatVersion || instructions > BPF_MAXINSNS) return std::nullopt;
    const std::string_view checksum = data.substr(offset, kChecksumSize);
    offset += kChecksumSize;
    const std::string_view payload = data.substr(offset);
    if (payload.size() != payload_size || sha256_hex(payload) != checksum) return std::nullopt;
    const std::size_t program_bytes = std::size_t{instructions} * sizeof(sock_filter);
    if (payload.size() < program_bytes) return std::nullopt;
    SeccompProgram program;
    program.instructions.resize(instructions);
    std::memcpy(program.instructions.data(), payload.data(), program_bytes);
    std::size_t at = program_bytes;
    for (std::uint32_t i = 0; i < warnings; ++i) {
        std::uint32_t length = 0;
        if (!get_u32(payload, at, length) || payload.size() - at < length) return std::nullopt;
        program.warnings.emplace_back(payload.substr(at, length));
        at += length;
    }
    if (at != payload.size()) return std::nullopt;
    return program;
}

bool owned_with_mode(const struct stat& st, mode_t mode) {
    return st.st_uid == ::geteuid() && (st.st_mode & 07777) == mode;
}

}  // namespace

std::string program_cache_directory() {
    const char* override_dir = std::getenv("EDGEVISOR_SECCOMP_CACHE");
    if (override_dir != nullptr && *override_dir != '\0') return override_dir;
    return "/run/edgevisor/seccomp";
}

std::string program_cache_name(std::string_view canonical_text) {
    const scmp_version* library = seccomp_version();
    std::string text = "edgevisor-seccomp-cache " + std::to_string(kFormatVersion) +
                       "\nlibseccomp " + std::to_string(library->major) + "." +
                       std::to_string(library->minor) + "." + std::to_string(library->micro) +
                       "\narch " + std::to_string(seccomp_arch_native()) + "\n";
    text += canonical_text;
    return sha256_hex(text);
}

Result<ProgramDiskCache> ProgramDiskCache::open(const std::string& directory) {
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd && errno == ENOENT) {
        // The parent is shared with other parts of edgevisor (rootfs staging): 0755 as they
        // create it. EEXIST from a concurrent creator is fine; the checks below decide.
        const auto slash = directory.find_last_of('/');
        if (slash != std::string::npos && slash > 0) {
            ::mkdir(directory.substr(0, slash).c_str(), 0755);
        }
        ::mkdir(directory.c_str(), 0700);
        fd.reset(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!fd) return fail_errno("seccomp cache", "cannot open " + directory);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("seccomp cache", "cannot stat " + directory);
    if (!S_ISDIR(st.st_mode) || !owned_with_mode(st, 0700)) {
        return fail("seccomp cache",
                    directory + " is not a directory owned by uid " + std::to_string(::geteuid()) +
                        " with mode 0700; not used",
                    EPERM);
    }
    return ProgramDiskCache(std::move(fd));
}

std::optional<SeccompProgram> ProgramDiskCache::load(const std::string& name) const {
    UniqueFd fd(::openat(directory_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return std::nullopt;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !owned_with_mode(st, 0600) ||
        st.st_size > kMaxFileSize) {
        return std::nullopt;
    }
    std::string data(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        done += static_cast<std::size_t>(n);
    }
    return decode(data);
}

Status ProgramDiskCache::store(const std::string& name, const SeccompProgram& program) const {
    const std::string data = encode(program);
    const std::string temporary = ".tmp-" + name + "-" + std::to_string(::getpid());
    UniqueFd fd(::openat(directory_.get(), temporary.c_str(),
                         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return fail_errno("seccomp cache", "cannot create " + temporary);
    // The umask cannot widen 0600, but a leftover temporary from a killed process of the same
    // pid could have another mode: set it explicitly.
    bool ok = ::fchmod(fd.get(), 0600) == 0;
    std::size_t done = 0;
    while (ok && done < data.size()) {
        const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    // No fsync: the cache lives on tmpfs, and a torn file fails its checksum and is rewritten.
    if (ok)
        ok = ::renameat(directory_.get(), temporary.c_str(), directory_.get(), name.c_str()) == 0;
    if (!ok) {
        auto error = fail_errno("seccomp cache", "cannot write " + name);
        ::unlinkat(directory_.get(), temporary.c_str(), 0);
        return error;
    }
    return {};
}

Result<CachedProgram> load_or_compile(const std::string& directory, std::string_view canonical_text,
                                      const std::function<Result<SeccompProgram>()>& compile) {
    auto cache = ProgramDiskCache::open(directory);
    if (!cache) {
        // An unsafe cache is worth a warning; one we may not create (not root) is not.
        if (cache.error().code == EPERM) {
            log::warn("{}", cache.error().describe());
        } else {
            log::debug("{}", cache.error().describe());
        }
        auto program = compile();
        if (!program) return std::unexpected(program.error());
        return CachedProgram{std::move(*program), false};
    }
    const std::string name = program_cache_name(canonical_text);
    if (auto hit = cache->load(name)) return CachedProgram{std::move(*hit), true};
    auto program = compile();
    if (!program) return std::unexpected(program.error());
    if (auto stored = cache->store(name, *program); !stored) {
        log::debug("{}", stored.error().describe());
    }
    return CachedProgram{std::move(*program), false};
}

}  // namespace edgevisor::isolation::seccomp_detail
