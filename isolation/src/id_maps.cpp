#include "id_maps.hpp"

#include "child_step.hpp"

#include <algorithm>
#include <cerrno>

namespace edgevisor::isolation {
namespace {

void line(std::string& out, std::uint64_t inside, std::uint64_t outside, std::uint64_t count) {
    if (count == 0) return;
    out +=
        std::to_string(inside) + " " + std::to_string(outside) + " " + std::to_string(count) + "\n";
}

}  // namespace

Result<std::string> range_map(const IdRange& range, std::vector<std::uint32_t> named,
                              const char* what) {
    std::erase(named, 0u);
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    for (auto id : named)
        if (id >= range.pool_first && id < range.pool_end)
            return fail_at(
                Step::user_namespace, std::string(what) + " " + std::to_string(id), EINVAL,
                "a named host id inside the node's id pool [" + std::to_string(range.pool_first) +
                    ", " + std::to_string(range.pool_end) +
                    ") cannot be mapped through; it belongs to another workload's "
                    "range");
    // The range, cut around the named ids that fall inside it; those beyond it follow.
    std::string out;
    std::uint64_t next = 0;  // first inside id not mapped yet
    for (auto id : named) {
        if (id >= range.size) break;
        line(out, next, range.first + next, id - next);
        line(out, id, id, 1);
        next = id + 1;
    }
    line(out, next, range.first + next, range.size - next);
    for (auto id : named)
        if (id >= range.size) line(out, id, id, 1);
    if (std::count(out.begin(), out.end(), '\n') > static_cast<long>(kMaxIdMapLines))
        return fail_at(Step::user_namespace, what, E2BIG,
                       std::to_string(named.size()) +
                           " named ids need more map lines than the kernel's " +
                           std::to_string(kMaxIdMapLines));
    return out;
}

}  // namespace edgevisor::isolation
