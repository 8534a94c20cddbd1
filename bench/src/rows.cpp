#include "rows.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "oci_bundle.hpp"

namespace edgevisor::bench {
namespace {

namespace fs = std::filesystem;

// The program's absolute path from $PATH, or "" when it is not installed.
std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

Row skipped(std::string key, std::string label, std::string reason) {
    Row row;
    row.key = std::move(key);
    row.label = std::move(label);
    row.skip_reason = std::move(reason);
    return row;
}

Row runnable(std::string key, std::string label, std::vector<std::string> args) {
    Row row;
    row.key = std::move(key);
    row.label = std::move(label);
    row.command.emplace(std::move(args));
    return row;
}

// The unconfined manifest with its seccomp line pointing at Docker's profile instead, written
// to the workspace: the profile stays in ../shared and its absolute path differs per checkout.
Result<std::string> write_docker_manifest(const std::string& base, const std::string& profile,
                                          Workspace& workspace) {
    std::ifstream in(base);
    if (!in) return fail_errno("open", base);
    std::ostringstream out;
    std::string line;
    bool replaced = false;
    while (std::getline(in, line)) {
        const auto key = line.find("seccomp:");
        if (key != std::string::npos && line.find_first_not_of(' ') == key) {
            line = line.substr(0, key) + "seccomp: {profile: file, path: \"" + profile + "\"}";
            replaced = true;
        }
        out << line << '\n';
    }
    if (!replaced) return fail("manifest", base + " has no `seccomp:` line to replace");
    return workspace.write_file("true-isolated-docker-seccomp.yaml", out.str());
}

void add_edgectl_rows(const RowOptions& options, Workspace& workspace, std::vector<Row>& rows) {
    const std::string manifests = options.source_dir + "/bench/manifests/";
    const std::string unconfined = manifests + "true-isolated.yaml";
    const std::string with_default = manifests + "true-isolated-seccomp-default.yaml";
    const std::string with_deny_list = manifests + "true-isolated-seccomp-deny-list.yaml";
    const char* unconfined_label = "edgectl run, seccomp unconfined";
    const char* default_label = "edgectl run, seccomp default";
    const char* docker_label = "edgectl run, Docker's seccomp profile";
    const char* deny_list_label = "edgectl run, the old deny list";
    const std::string defaults = manifests + "true-default.yaml";
    const char* defaults_label = "edgectl run, the defaults (user namespace, allow list)";

    if (::access(options.edgectl.c_str(), X_OK) != 0) {
        const std::string reason = "no edgectl binary at " + options.edgectl;
        rows.push_back(skipped("edgectl", unconfined_label, reason));
        rows.push_back(skipped("edgectl-seccomp-default", default_label, reason));
        rows.push_back(skipped("edgectl-seccomp-deny-list", deny_list_label, reason));
        rows.push_back(skipped("edgectl-seccomp-docker", docker_label, reason));
        rows.push_back(skipped("edgectl-default", defaults_label, reason));
        return;
    }
    rows.push_back(runnable("edgectl", unconfined_label, {options.edgectl, "run", unconfined}));
    if (!options.compare_edgectl.empty()) {
        rows.push_back(runnable("edgectl-b", "edgectl B (--compare-edgectl), unconfined",
                                {options.compare_edgectl, "run", unconfined}));
        rows.back().baseline = "edgectl";
    }
    rows.push_back(
        runnable("edgectl-seccomp-default", default_label, {options.edgectl, "run", with_default}));
    rows.back().baseline = "edgectl";
    rows.push_back(runnable("edgectl-seccomp-deny-list", deny_list_label,
                            {options.edgectl, "run", with_deny_list}));
    rows.back().baseline = "edgectl";
    rows.push_back(runnable("edgectl-default", defaults_label, {options.edgectl, "run", defaults}));
    rows.back().baseline = "edgectl";
    if (!fs::exists(options.docker_profile)) {
        rows.push_back(skipped("edgectl-seccomp-docker", docker_label,
                               "Docker's profile is not at " + options.docker_profile));
        return;
    }
    auto manifest = write_docker_manifest(unconfined, options.docker_profile, workspace);
    if (!manifest) {
        rows.push_back(
            skipped("edgectl-seccomp-docker", docker_label, manifest.error().describe()));
        return;
    }
    rows.push_back(
        runnable("edgectl-seccomp-docker", docker_label, {options.edgectl, "run", *manifest}));
    rows.back().baseline = "edgectl";
}

void add_bwrap_row(std::vector<Row>& rows) {
    const char* label = "bubblewrap";
    const std::string bwrap = find_program("bwrap");
    if (bwrap.empty()) {
        rows.push_back(skipped("bwrap", label, "bwrap is not installed (Debian: bubblewrap)"));
        return;
    }
    // --cap-drop ALL and --new-session match what edgectl run does by default (bwrap run by
    // root keeps its capabilities otherwise); bwrap sets no_new_privs on its own.
    std::vector<std::string> argv{bwrap,
                                  "--unshare-pid",
                                  "--unshare-ipc",
                                  "--unshare-uts",
                                  "--unshare-net",
                                  "--ro-bind",
                                  "/",
                                  "/",
                                  "--proc",
                                  "/proc",
                                  "--dev",
                                  "/dev",
                                  "--tmpfs",
                                  "/tmp",
                                  "--cap-drop",
                                  "ALL",
                                  "--new-session",
                                  "/bin/true"};
    rows.push_back(runnable("bwrap", label, argv));
    // The peer of our defaults: bubblewrap's own user namespace too.
    argv.insert(argv.begin() + 1, "--unshare-user");
    rows.push_back(runnable("bwrap-user", "bubblewrap --unshare-user", argv));
    rows.back().baseline = "bwrap";
}

struct OciRuntime {
    std::string key;
    std::string label;
    std::string program;
    std::optional<nlohmann::json> seccomp;
};

std::vector<OciRuntime> wanted_oci_runtimes(const RowOptions& options, std::vector<Row>& rows) {
    std::vector<OciRuntime> runtimes;
    const std::string crun = find_program("crun");
    if (crun.empty()) {
        rows.push_back(skipped("crun", "crun", "crun is not installed"));
    } else {
        runtimes.push_back({"crun", "crun", crun, std::nullopt});
        if (options.crun_docker_seccomp && fs::exists(options.docker_profile)) {
            auto profile = docker_profile_to_oci(options.docker_profile);
            if (profile) {
                runtimes.push_back(
                    {"crun-seccomp-docker", "crun, Docker's seccomp profile", crun, *profile});
            } else {
                rows.push_back(skipped("crun-seccomp-docker", "crun, Docker's seccomp profile",
                                       profile.error().describe()));
            }
        }
    }
    if (options.runc) {
        const std::string runc = find_program("runc");
        if (runc.empty()) {
            rows.push_back(skipped("runc", "runc", "runc is not installed (Debian: runc)"));
        } else {
            runtimes.push_back({"runc", "runc", runc, std::nullopt});
        }
    }
    return runtimes;
}

void add_oci_rows(const RowOptions& options, Workspace& workspace,
                  std::optional<OciMountNamespace>& oci_ns, std::vector<Row>& rows) {
    const auto runtimes = wanted_oci_runtimes(options, rows);
    if (runtimes.empty()) return;

    auto rootfs = workspace.make_dir("rootfs");
    if (rootfs) {
        auto ns = OciMountNamespace::create(*rootfs);
        if (ns) {
            oci_ns.emplace(std::move(*ns));
        } else {
            rootfs = std::unexpected(ns.error());
        }
    }
    for (const auto& runtime : runtimes) {
        if (!rootfs) {
            rows.push_back(skipped(runtime.key, runtime.label,
                                   "no private mount namespace: " + rootfs.error().describe()));
            continue;
        }
        auto bundle = workspace.make_dir(runtime.key);
        Status written = bundle ? write_oci_bundle(*bundle, *rootfs, runtime.seccomp)
                                : Status(std::unexpected(bundle.error()));
        if (!written) {
            rows.push_back(skipped(runtime.key, runtime.label, written.error().describe()));
            continue;
        }
        workspace.track_file(runtime.key + "/config.json");
        const std::string id = "edgevisor-bench-" + runtime.key + "-" + std::to_string(::getpid());
        Row row =
            runnable(runtime.key, runtime.label, {runtime.program, "run", "--bundle", *bundle, id});
        row.in_oci_namespace = true;
        if (runtime.seccomp) row.baseline = "crun";
        rows.push_back(std::move(row));
    }
}

}  // namespace

std::vector<Row> make_rows(const RowOptions& options, Workspace& workspace,
                           std::optional<OciMountNamespace>& oci_ns) {
    std::vector<Row> rows;
    add_edgectl_rows(options, workspace, rows);
    add_bwrap_row(rows);
    add_oci_rows(options, workspace, oci_ns, rows);
    return rows;
}

}  // namespace edgevisor::bench
