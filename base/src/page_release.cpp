#include "edgevisor/page_release.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <string>

#include "edgevisor/atomic_file.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor {

namespace {

bool parse_hex(std::string_view text, std::uintptr_t& value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    return ec == std::errc{} && end == text.data() + text.size();
}

// The fields of a maps line: range, perms, offset, dev, inode, path (which may hold spaces).
std::string_view next_field(std::string_view& rest) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    auto space = rest.find(' ');
    auto field = rest.substr(0, space);
    rest.remove_prefix(space == std::string_view::npos ? rest.size() : space);
    return field;
}

}  // namespace

bool releasable_mapping(std::string_view line, std::uintptr_t& start, std::uintptr_t& end) {
    std::string_view rest = line;
    auto range = next_field(rest);
    auto perms = next_field(rest);
    next_field(rest);  // offset
    next_field(rest);  // device
    auto inode = next_field(rest);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    auto dash = range.find('-');
    if (dash == std::string_view::npos || perms.size() != 4) return false;
    if (!parse_hex(range.substr(0, dash), start) || !parse_hex(range.substr(dash + 1), end))
        return false;
    // Private, not writable (a written private page is anonymous: it has nowhere to go), and
    // backed by a file: inode 0 is anonymous memory, the heap, the stack or the vdso.
    bool file_backed = inode != "0" && rest.starts_with('/');
    return perms[1] != 'w' && perms[3] == 'p' && file_backed && end > start;
}

Result<PageRelease> release_clean_pages() {
    // Regular to stat, generated as it is read: read_file reads it to its end.
    auto maps = read_file("/proc/self/maps");
    if (!maps) return std::unexpected(maps.error());
    PageRelease release;
    std::string_view text = *maps;
    while (!text.empty()) {
        auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        std::uintptr_t start = 0, end = 0;
        if (!releasable_mapping(line, start, end)) continue;
        // MADV_RANDOM first: a page needed again is then read alone, not with the readahead
        // window around it, which the fault would map whole and which would bring most of
        // what was released back.
        void* address = reinterpret_cast<void*>(start);
        if (::madvise(address, end - start, MADV_RANDOM) != 0 ||
            ::madvise(address, end - start, MADV_PAGEOUT) != 0) {
            if (release.failed++ == 0)
                release.first_failure = Error{"madvise", errno, std::string(line)};
            continue;
        }
        ++release.mappings;
        release.bytes += end - start;
    }
    // What the kernel read ahead of the binary but no process maps stays cached, and a later
    // fault maps the cached pages around it (fault-around): drop them. Only our own file: a
    // library's cached pages serve every process.
    UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (exe) ::posix_fadvise(exe.get(), 0, 0, POSIX_FADV_DONTNEED);
    ::malloc_trim(0);
    return release;
}

}  // namespace edgevisor
