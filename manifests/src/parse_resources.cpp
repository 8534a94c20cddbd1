// spec.resources: cgroup v2 limits. Zero is refused wherever the kernel would read it as "stop
// everything" (memory.max 0, pids.max 0) rather than as a limit; swapMax 0 means "no swap".
#include <algorithm>

#include "edgevisor/manifests/units.hpp"
#include "numbers.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

constexpr std::uint64_t kMaxPids = 4194304;  // PID_MAX_LIMIT on 64-bit kernels

// "0-3,5,7-8": ascending ranges of cpu or memory-node numbers, as cpuset.cpus takes them.
bool valid_cpu_list(std::string_view text) {
    if (text.empty()) return false;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        std::size_t dash = item.find('-');
        auto first = parse_unsigned(item.substr(0, dash), "a cpu number", 65535);
        if (!first) return false;
        if (dash != std::string_view::npos) {
            auto last = parse_unsigned(item.substr(dash + 1), "a cpu number", 65535);
            if (!last || *last < *first) return false;
        }
        start = end + 1;
    }
    return true;
}

void read_cpu_list(Context& ctx, const yaml::Node& node, const std::string& where,
                   std::optional<std::string>& out) {
    auto text = read_text(ctx, node, where);
    if (!text) return;
    if (!valid_cpu_list(*text)) {
        ctx.error(node, "cpuset-format",
                  where + ": '" + *text + "' is not a cpu list (e.g. \"0-1,3\")");
        return;
    }
    out = *text;
}

void parse_cpu(Context& ctx, const yaml::Node& node, const std::string& where, CpuResources& out) {
    MapReader map(ctx, node, where, {"max", "period", "weight"});
    if (!map) return;
    if (const yaml::Node* max = map.find("max")) {
        if (max->IsScalar()) {
            auto millis = parse_cpu_millicores(max->Scalar());
            if (millis)
                out.max_millicores = *millis;
            else
                ctx.error(*max, "invalid-cpu", map.at("max") + ": " + millis.error().message);
        } else {
            ctx.error(*max, "wrong-type",
                      map.at("max") + ": expected a CPU quantity, got " + describe_type(*max));
        }
    }
    // The kernel takes periods of 1ms..1s.
    Duration period{0};
    if (map.duration("period", period, Duration{1})) {
        if (period > Duration{1000})
            ctx.error(*map.find("period"), "out-of-range",
                      map.at("period") + ": at most 1s (the kernel's limit)");
        else
            out.period_us = static_cast<std::uint64_t>(period.count()) * 1000;
    }
    if (out.max_millicores && !out.period_us) out.period_us = 100000;
    map.number("weight", out.weight, 1, 10000);
}

void parse_memory(Context& ctx, const yaml::Node& node, const std::string& where,
                  MemoryResources& out) {
    MapReader map(ctx, node, where, {"max", "high", "swapMax"});
    if (!map) return;
    map.bytes("max", out.max, 1);
    map.bytes("high", out.high, 1);
    map.bytes("swapMax", out.swap_max, 0);
    if (out.max && out.high && *out.high > *out.max)
        ctx.error(map.key_mark("high"), "memory-order",
                  map.at("high") + ": above memory.max, so it would never apply");
}

void parse_io_limit(Context& ctx, const yaml::Node& node, const std::string& where,
                    IoDeviceLimit& out) {
    MapReader map(ctx, node, where, {"device", "rbps", "wbps", "riops", "wiops"});
    if (!map) return;
    map.require("device");
    if (map.path("device", out.device) && !out.device.starts_with("/dev/"))
        ctx.error(*map.find("device"), "path-format",
                  map.at("device") + ": '" + out.device + "' is not under /dev");
    // Bytes per second take size units ("10Mi"); operations per second are plain numbers.
    map.bytes("rbps", out.rbps, 1);
    map.bytes("wbps", out.wbps, 1);
    map.number("riops", out.riops, 1, UINT64_MAX);
    map.number("wiops", out.wiops, 1, UINT64_MAX);
    if (!map.has("rbps") && !map.has("wbps") && !map.has("riops") && !map.has("wiops"))
        ctx.error(map.mark(), "io-limit",
                  where + ": needs at least one of rbps, wbps, riops, wiops");
}

void parse_io(Context& ctx, const yaml::Node& node, const std::string& where, IoResources& out) {
    MapReader map(ctx, node, where, {"weight", "max"});
    if (!map) return;
    map.number("weight", out.weight, 1, 10000);
    const yaml::Node* max = map.find("max");
    if (max == nullptr || !expect_list(ctx, *max, map.at("max"))) return;
    for (std::size_t i = 0; i < max->size(); ++i) {
        IoDeviceLimit limit;
        std::string item = map.at("max") + "[" + std::to_string(i) + "]";
        parse_io_limit(ctx, (*max)[i], item, limit);
        bool repeated = std::any_of(out.max.begin(), out.max.end(), [&](const IoDeviceLimit& l) {
            return !limit.device.empty() && l.device == limit.device;
        });
        if (repeated)
            ctx.error((*max)[i], "duplicate-device",
                      item + ": device '" + limit.device + "' is listed twice");
        else
            out.max.push_back(std::move(limit));
    }
}

void parse_cpuset(Context& ctx, const yaml::Node& node, const std::string& where, Resources& out) {
    if (node.IsScalar()) {  // the short form: cpuset: "1" means cpus
        read_cpu_list(ctx, node, where, out.cpuset_cpus);
        return;
    }
    MapReader map(ctx, node, where, {"cpus", "mems"});
    if (!map) return;
    if (const yaml::Node* cpus = map.find("cpus"))
        read_cpu_list(ctx, *cpus, map.at("cpus"), out.cpuset_cpus);
    if (const yaml::Node* mems = map.find("mems"))
        read_cpu_list(ctx, *mems, map.at("mems"), out.cpuset_mems);
}

}  // namespace

void parse_resources(Context& ctx, const yaml::Node& node, const std::string& where,
                     Resources& out) {
    MapReader map(ctx, node, where, {"cpu", "memory", "pids", "io", "cpuset"});
    if (!map) return;
    if (const yaml::Node* cpu = map.find("cpu")) parse_cpu(ctx, *cpu, map.at("cpu"), out.cpu);
    if (const yaml::Node* memory = map.find("memory"))
        parse_memory(ctx, *memory, map.at("memory"), out.memory);
    if (const yaml::Node* pids = map.find("pids")) {
        MapReader pids_map(ctx, *pids, map.at("pids"), {"max"});
        if (pids_map) pids_map.number("max", out.pids.max, 1, kMaxPids);
    }
    if (const yaml::Node* io = map.find("io")) parse_io(ctx, *io, map.at("io"), out.io);
    if (const yaml::Node* cpuset = map.find("cpuset"))
        parse_cpuset(ctx, *cpuset, map.at("cpuset"), out);
}

}  // namespace edgevisor::manifests::detail
