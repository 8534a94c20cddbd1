#include "oci_bundle.hpp"

#include <algorithm>
#include <fstream>

namespace edgevisor::bench {
namespace {

using nlohmann::json;

bool contains(const json& list, const char* value) {
    return list.is_array() && std::find(list.begin(), list.end(), value) != list.end();
}

// Docker keeps a rule when every "includes" condition holds and no "excludes" one does. The
// benchmark's workload has no capabilities, so any capability condition in includes fails
// and any in excludes passes. minKernel is ignored: the benchmark kernel is recent.
bool docker_rule_applies(const json& rule) {
    const json includes = rule.value("includes", json::object());
    const json excludes = rule.value("excludes", json::object());
    if (includes.contains("caps") && !includes["caps"].empty()) return false;
    if (includes.contains("arches") && !contains(includes["arches"], kDockerArch)) return false;
    if (excludes.contains("arches") && contains(excludes["arches"], kDockerArch)) return false;
    return true;
}

json oci_config(const std::string& rootfs, const std::optional<json>& seccomp) {
    json config = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"/bin/true"}},
          {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
          {"cwd", "/"},
          {"capabilities", json::object()},
          {"noNewPrivileges", true}}},
        {"root", {{"path", rootfs}, {"readonly", true}}},
        {"hostname", "bench"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
          {{"destination", "/dev/shm"},
           {"type", "tmpfs"},
           {"source", "shm"},
           {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
          {{"destination", "/tmp"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "nodev", "mode=1777"}}}}},
        {"linux",
         {{"namespaces",
           {{{"type", "pid"}},
            {{"type", "network"}},
            {{"type", "ipc"}},
            {{"type", "uts"}},
            {{"type", "mount"}}}},
          // The runtime-spec defaults, comparable to the paths the launcher masks in /proc.
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
    };
    if (seccomp) config["linux"]["seccomp"] = *seccomp;
    return config;
}

}  // namespace

Status write_oci_bundle(const std::string& bundle_dir, const std::string& rootfs,
                        const std::optional<json>& seccomp) {
    const std::string path = bundle_dir + "/config.json";
    std::ofstream out(path, std::ios::trunc);
    out << oci_config(rootfs, seccomp).dump(1) << '\n';
    out.close();
    if (!out) return fail_errno("write", "write OCI config " + path);
    return {};
}

Result<json> docker_profile_to_oci(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail_errno("open", "open Docker seccomp profile " + path);
    json docker;
    try {
        docker = json::parse(in);
    } catch (const json::exception& e) {
        return fail("parse", "Docker seccomp profile " + path + ": " + e.what());
    }

    json architectures = json::array({kSeccompArch});
    for (const auto& entry : docker.value("archMap", json::array())) {
        if (entry.value("architecture", "") == kSeccompArch) {
            for (const auto& sub : entry.value("subArchitectures", json::array())) {
                architectures.push_back(sub);
            }
        }
    }
    json syscalls = json::array();
    for (const auto& rule : docker.value("syscalls", json::array())) {
        if (!docker_rule_applies(rule)) continue;
        json oci_rule = {{"names", rule.at("names")}, {"action", rule.at("action")}};
        if (rule.contains("errnoRet")) oci_rule["errnoRet"] = rule["errnoRet"];
        if (rule.contains("args")) oci_rule["args"] = rule["args"];
        syscalls.push_back(std::move(oci_rule));
    }
    json oci = {{"defaultAction", docker.value("defaultAction", "SCMP_ACT_ERRNO")},
                {"architectures", architectures},
                {"syscalls", syscalls}};
    if (docker.contains("defaultErrnoRet")) oci["defaultErrnoRet"] = docker["defaultErrnoRet"];
    return oci;
}

}  // namespace edgevisor::bench
