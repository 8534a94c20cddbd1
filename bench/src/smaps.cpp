#include "smaps.hpp"

#include <cstdlib>
#include <string>
#include <vector>

namespace edgevisor::bench {
namespace {

struct Mapping {
    unsigned long start = 0, end = 0;
    std::string perms;  // e.g. "rw-p"
    std::string path;   // "" for anonymous memory
    long pss_kib = 0;
};

// glibc's per-thread malloc heaps are HEAP_MAX_SIZE (64 MiB on 64-bit) regions aligned to
// their size, read-write at the bottom and PROT_NONE above; a pthread stack is one mapping
// with its guard (PROT_NONE, a page by default) at the bottom.
constexpr unsigned long kArenaAlign = 64ul << 20;
constexpr unsigned long kMaxGuard = 64ul << 10;

bool inaccessible(const Mapping& m) {
    return m.perms.compare(0, 3, "---") == 0;
}

std::string kind_of(const std::vector<Mapping>& maps, std::size_t i) {
    const Mapping& m = maps[i];
    if (!m.path.empty()) {
        if (m.path.front() == '[') return m.path;
        auto slash = m.path.rfind('/');
        return slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    }
    if (inaccessible(m)) return "guards and reserves";
    const Mapping* below = i > 0 ? &maps[i - 1] : nullptr;
    const Mapping* above = i + 1 < maps.size() ? &maps[i + 1] : nullptr;
    if (below != nullptr && below->path.empty() && inaccessible(*below) && below->end == m.start &&
        below->end - below->start <= kMaxGuard)
        return "thread stacks";
    if (m.start % kArenaAlign == 0 && above != nullptr && above->path.empty() &&
        inaccessible(*above) && above->start == m.end)
        return "malloc arenas";
    return "other anonymous";
}

}  // namespace

PssBreakdown pss_breakdown(std::string_view smaps) {
    std::vector<Mapping> maps;
    std::size_t at = 0;
    while (at < smaps.size()) {
        auto end = smaps.find('\n', at);
        if (end == std::string_view::npos) end = smaps.size();
        const std::string line(smaps.substr(at, end - at));
        at = end + 1;
        auto space = line.find(' ');
        if (space == std::string::npos || space == 0) continue;
        if (line[space - 1] == ':') {
            // A field of the current mapping ("Pss:   12 kB").
            if (!maps.empty() && line.compare(0, 4, "Pss:") == 0)
                maps.back().pss_kib = std::strtol(line.c_str() + 4, nullptr, 10);
            continue;
        }
        // A mapping: "start-end perms offset dev inode [path]", the path may hold spaces.
        Mapping m;
        char* rest = nullptr;
        m.start = std::strtoul(line.c_str(), &rest, 16);
        if (*rest == '-') m.end = std::strtoul(rest + 1, nullptr, 16);
        m.perms = line.substr(space + 1, 4);
        std::size_t field = space;
        for (int skip = 0; skip < 4 && field != std::string::npos; ++skip)
            field = line.find(' ', line.find_first_not_of(' ', field));
        if (field != std::string::npos) {
            auto path = line.find_first_not_of(' ', field);
            if (path != std::string::npos) m.path = line.substr(path);
        }
        maps.push_back(std::move(m));
    }
    PssBreakdown out;
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const std::string kind = kind_of(maps, i);
        out.kib[kind] += maps[i].pss_kib;
        ++out.count[kind];
        if (!maps[i].path.empty() && maps[i].path.front() != '[')
            out.parts[kind][maps[i].perms] += maps[i].pss_kib;
        out.total_kib += maps[i].pss_kib;
    }
    return out;
}

}  // namespace edgevisor::bench
