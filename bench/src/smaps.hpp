// Where a process's proportional set size goes, from /proc/PID/smaps: every mapping's Pss,
// summed by what the mapping is (a library by file name, the heap, thread stacks, malloc
// arenas, other anonymous memory). The fleet benchmark prints it beside the daemon's total, so
// that an effort to shrink the daemon knows which part to go after.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace edgevisor::bench {

struct PssBreakdown {
    long total_kib = 0;                // the sum of every mapping's Pss
    std::map<std::string, long> kib;   // by kind (see classify in smaps.cpp)
    std::map<std::string, int> count;  // mappings of each kind
    // Of a file's kind, by permissions ("r-xp" its code, "r--p" read-only data and relocated
    // constants, "rw-p" its data).
    std::map<std::string, std::map<std::string, long>> parts;
};

// The text of /proc/PID/smaps. Kinds: the file name of a file mapping ("libcrypto.so.3"),
// "[heap]" (brk), "[stack]" (the main thread's), "thread stacks" (anonymous read-write right
// above a small inaccessible guard: glibc's pthread stacks), "malloc arenas" (anonymous
// read-write at a 64 MiB boundary followed by its inaccessible reserve: glibc's per-thread
// arenas), "other anonymous" (large mallocs, everything else without a name), and the
// kernel's own names ("[vdso]", "[vvar]").
PssBreakdown pss_breakdown(std::string_view smaps);

}  // namespace edgevisor::bench
