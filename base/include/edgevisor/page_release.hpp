// Gives back the memory a long-running process holds only because of what it did at start-up:
// the pages of its code and read-only data that the kernel mapped while the process started
// (parsing, connecting, its first launches) and the heap that malloc keeps free. An idle
// daemon's resident set is then what its idle loop touches; a page it needs again is read back
// from the page cache or the file, as after any reclaim under memory pressure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgevisor/error.hpp"

namespace edgevisor {

struct PageRelease {
    std::size_t mappings = 0;  // file-backed, read-only private mappings advised
    std::size_t bytes = 0;     // their size (not all of it was resident)
    std::size_t failed = 0;    // mappings madvise refused, the first of them:
    Error first_failure;
};

// madvise(MADV_RANDOM, then MADV_PAGEOUT) on every private, non-writable, file-backed mapping of
// this process (its binary's text and rodata, the libraries'): the kernel unmaps the pages no
// other process maps and frees those that are clean; shared ones stay. A mapping the kernel
// refuses is counted and skipped. Then the binary's unmapped cached pages are dropped and
// malloc_trim(0). Writable and anonymous memory is never touched (without swap it could not go
// anywhere anyway).
Result<PageRelease> release_clean_pages();

// One line of /proc/PID/maps: true when it is a mapping release_clean_pages() advises; `start`
// and `end` are then its range. Exposed for the unit test.
bool releasable_mapping(std::string_view line, std::uintptr_t& start, std::uintptr_t& end);

}  // namespace edgevisor
