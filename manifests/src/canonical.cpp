// The canonical form: one JSON text with sorted keys (nlohmann's default object is a std::map),
// every default spelled out as its effective value, and fields that a setting makes irrelevant
// left out (the host of an exec probe, the rules of a non-custom seccomp profile). Durations
// are milliseconds, sizes bytes, CPU millicores. Two specs with the same meaning give the same
// text, whatever their key order, formatting, or which defaults they wrote.
#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/sha256.hpp"

namespace edgevisor::manifests {
namespace {

using Json = nlohmann::json;

template <typename T>
Json optional(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

Json id(const IdRef& ref) {
    return ref.id ? Json(*ref.id) : Json(ref.name);
}

Json probe(const std::optional<Probe>& p) {
    if (!p) return nullptr;
    Json out{{"initialDelay", p->initial_delay.count()},
             {"interval", p->interval.count()},
             {"timeout", p->timeout.count()},
             {"failureThreshold", p->failure_threshold},
             {"successThreshold", p->success_threshold}};
    switch (p->kind) {
        case ProbeKind::exec:
            out["exec"] = p->exec;
            break;
        case ProbeKind::tcp:
            out["tcp"] = Json{{"host", p->host}, {"port", p->port}};
            break;
        case ProbeKind::http:
            out["http"] = Json{
                {"host", p->host}, {"port", p->port}, {"path", p->path}, {"statuses", p->statuses}};
            break;
        case ProbeKind::notify:
            out["notify"] =
                Json{{"watchdog", p->watchdog ? Json(p->watchdog->count()) : Json(nullptr)}};
            break;
    }
    return out;
}

Json warnings(const std::vector<ResourceWarning>& list) {
    static constexpr std::array<const char*, 6> metrics{
        "memory", "cpu", "pids", "cpuPressure", "memoryPressure", "ioPressure"};
    Json out = Json::array();
    for (const ResourceWarning& w : list)
        out.push_back({{"metric", metrics[static_cast<std::size_t>(w.metric)]},
                       {"above", w.above_percent},
                       {"for", w.for_duration.count()}});
    return out;
}

Json resources(const Resources& r) {
    Json io_max = Json::array();
    for (const IoDeviceLimit& l : r.io.max)
        io_max.push_back({{"device", l.device},
                          {"rbps", optional(l.rbps)},
                          {"wbps", optional(l.wbps)},
                          {"riops", optional(l.riops)},
                          {"wiops", optional(l.wiops)}});
    return {{"cpu",
             {{"max", optional(r.cpu.max_millicores)},
              {"period", optional(r.cpu.period_us)},
              {"weight", optional(r.cpu.weight)}}},
            {"memory",
             {{"max", optional(r.memory.max)},
              {"high", optional(r.memory.high)},
              {"swapMax", optional(r.memory.swap_max)}}},
            {"pids", {{"max", optional(r.pids.max)}}},
            {"io", {{"weight", optional(r.io.weight)}, {"max", io_max}}},
            {"cpuset", {{"cpus", optional(r.cpuset_cpus)}, {"mems", optional(r.cpuset_mems)}}}};
}

Json action(const SeccompAction& a) {
    static constexpr std::array<const char*, 6> names{"allow",       "errno", "kill-process",
                                                      "kill-thread", "trap",  "log"};
    if (a.kind == SeccompActionKind::errno_code) return Json{{"errno", a.errno_value}};
    return names[static_cast<std::size_t>(a.kind)];
}

Json seccomp(const Seccomp& s) {
    static constexpr std::array<const char*, 4> profiles{"default", "unconfined", "custom", "file"};
    Json out{{"profile", profiles[static_cast<std::size_t>(s.profile)]}};
    if (s.profile == SeccompProfile::file) out["path"] = s.path;
    if (s.profile != SeccompProfile::custom) return out;
    static constexpr std::array<const char*, 7> ops{"ne", "lt", "le",       "eq",
                                                    "ge", "gt", "masked_eq"};
    Json rules = Json::array();
    for (const SeccompRule& rule : s.rules) {
        Json args = Json::array();
        for (const SeccompArg& arg : rule.args) {
            Json a{{"index", arg.index},
                   {"op", ops[static_cast<std::size_t>(arg.op)]},
                   {"value", arg.value}};
            if (arg.op == SeccompOp::masked_eq) a["valueTwo"] = arg.value_two;
            args.push_back(a);
        }
        rules.push_back({{"names", rule.names}, {"action", action(rule.action)}, {"args", args}});
    }
    out["defaultAction"] = action(s.default_action);
    out["rules"] = rules;
    return out;
}

Json isolation(const Isolation& iso, const std::string& name) {
    static constexpr std::array<const char*, 7> ns_names{"pid", "mount",  "ipc", "uts",
                                                         "net", "cgroup", "user"};
    std::vector<Namespace> sorted = iso.namespaces;
    std::sort(sorted.begin(), sorted.end());
    Json namespaces = Json::array();
    for (Namespace ns : sorted) namespaces.push_back(ns_names[static_cast<std::size_t>(ns)]);
    bool uts = std::find(sorted.begin(), sorted.end(), Namespace::uts) != sorted.end();
    Json mounts = Json::array();
    for (const Mount& m : iso.mounts) {
        Json mount{{"type", m.type == MountType::bind ? "bind" : "tmpfs"},
                   {"target", m.target},
                   {"readOnly", m.read_only}};
        if (m.type == MountType::bind)
            mount["source"] = m.source;
        else
            mount.update({{"size", optional(m.size)}, {"mode", optional(m.mode)}});
        mounts.push_back(mount);
    }
    std::vector<Capability> caps = iso.capabilities.add;
    std::sort(caps.begin(), caps.end(), [](auto& a, auto& b) { return a.number < b.number; });
    Json cap_names = Json::array();
    for (const Capability& c : caps) cap_names.push_back(c.name);
    auto id_map = [](const std::vector<IdMap>& map) {
        Json out = Json::array();
        for (const IdMap& m : map)
            out.push_back({{"inside", m.inside}, {"outside", m.outside}, {"count", m.count}});
        return out;
    };
    Json rlimits = Json::object();
    for (const Rlimit& r : iso.rlimits) rlimits[r.name] = {{"soft", r.soft}, {"hard", r.hard}};
    return {{"namespaces", namespaces},
            {"network", iso.network == NetworkMode::host ? "host" : "none"},
            // The default host name is the workload's; without uts there is none to set.
            {"hostname", uts ? Json(iso.hostname.value_or(name)) : Json(nullptr)},
            {"rootfs", {{"path", iso.rootfs.path}, {"readOnly", iso.rootfs.read_only}}},
            {"mounts", mounts},
            {"capabilities", {{"add", cap_names}}},
            {"seccomp", seccomp(iso.seccomp)},
            {"noNewPrivileges", iso.no_new_privileges},
            {"init", iso.init},
            {"uidMap", id_map(iso.uid_map)},
            {"gidMap", id_map(iso.gid_map)},
            {"rlimits", rlimits}};
}

Json spec(const WorkloadSpec& s, const std::string& name) {
    static constexpr std::array<const char*, 3> policies{"always", "on-failure", "never"};
    static constexpr std::array<const char*, 3> conditions{"started", "healthy", "completed"};
    Json deps = Json::array();
    for (const Dependency& d : s.depends_on)
        deps.push_back(
            {{"name", d.name}, {"condition", conditions[static_cast<std::size_t>(d.condition)]}});
    Json groups = Json::array();
    for (const IdRef& g : s.user.groups) groups.push_back(id(g));
    // An empty uid reference is the default: root.
    Json uid = (!s.user.uid.id && s.user.uid.name.empty()) ? Json(0) : id(s.user.uid);
    return {
        {"command", s.command},
        {"env", s.env},
        {"workingDir", s.working_dir},
        {"user",
         {{"uid", uid}, {"gid", s.user.gid ? id(*s.user.gid) : Json(nullptr)}, {"groups", groups}}},
        {"restart",
         {{"policy", policies[static_cast<std::size_t>(s.restart.policy)]},
          {"backoff",
           {{"initial", s.restart.backoff.initial.count()},
            {"max", s.restart.backoff.max.count()}}}}},
        {"dependsOn", deps},
        {"health",
         {{"startup", probe(s.health.startup)},
          {"liveness", probe(s.health.liveness)},
          {"readiness", probe(s.health.readiness)},
          {"warnings", warnings(s.health.warnings)}}},
        {"resources", resources(s.resources)},
        {"isolation", isolation(s.isolation, name)},
        {"logs", {{"maxSize", s.logs.max_size}, {"maxFiles", s.logs.max_files}}},
        {"stopSignal", s.stop_signal},
        {"stopTimeout", s.stop_timeout.count()}};
}

Json document(const Workload& workload) {
    return {{"apiVersion", workload.api_version},
            {"kind", workload.kind},
            {"metadata", {{"name", workload.metadata.name}, {"labels", workload.metadata.labels}}},
            {"spec", spec(workload.spec, workload.metadata.name)}};
}

}  // namespace

std::string canonical_form(const Workload& workload) {
    return document(workload).dump();
}

std::string canonical_hash(const Workload& workload) {
    return sha256_hex(canonical_form(workload));
}

std::string launch_hash(const Workload& workload) {
    Json doc = document(workload);
    // What a running process does not depend on: its cgroup limits and log quota are changed in
    // place, its labels only describe it.
    doc["spec"].erase("resources");
    doc["spec"].erase("logs");
    doc["metadata"].erase("labels");
    return sha256_hex(doc.dump());
}

}  // namespace edgevisor::manifests
