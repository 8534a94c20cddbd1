// idPool: the host id ranges from which each user-namespaced workload gets its own range.
#include "sections.hpp"

namespace edgevisor::manifests::detail {

void parse_id_pool_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MapReader map(ctx, node, "idPool", {"first", "size", "count"});
    if (!map) return;
    IdPoolConfig& pool = out.id_pool;
    bool any = map.number("first", pool.first, 1, UINT32_MAX - 1);
    any |= map.number("size", pool.size, 1, UINT32_MAX);
    any |= map.number("count", pool.count, 1, UINT32_MAX);
    std::uint64_t end = std::uint64_t{pool.first} + std::uint64_t{pool.size} * pool.count;
    if (any && end > UINT32_MAX)
        ctx.error(map.mark(), "id-range",
                  "idPool: first + size * count = " + std::to_string(end) +
                      " is beyond the last id (4294967294)");
}

std::string render_id_pool_section(const NodeConfig& config) {
    const IdPoolConfig& p = config.id_pool;
    return "idPool:\n  first: " + std::to_string(p.first) + "\n  size: " + std::to_string(p.size) +
           "\n  count: " + std::to_string(p.count) + "\n";
}

}  // namespace edgevisor::manifests::detail
