#include "edgectl_run_cgroup.hpp"

#include <cstdio>

namespace edgevisor::edgectl {

Result<RunCgroup> prepare_run_cgroup(const manifests::Workload& workload,
                                     bool allow_missing_controllers) {
    isolation::CgroupOptions options;
    options.allow_missing_controllers = allow_missing_controllers;
    auto tree = isolation::CgroupTree::open(options);
    if (!tree) return std::unexpected(tree.error().wrap("cgroup"));
    auto cgroup = tree->create_workload(workload.metadata.name);
    if (!cgroup) return std::unexpected(cgroup.error().wrap("cgroup"));
    if (auto applied = cgroup->apply(workload.spec.resources); !applied) {
        Error error = applied.error().wrap("resources");
        if (error.step == "cgroup.controller")
            error.message += "; or run it here with --allow-missing-controllers";
        return std::unexpected(std::move(error));
    }
    return RunCgroup{std::move(*tree), std::move(*cgroup)};
}

bool finish_run_cgroup(RunCgroup& run) {
    // The main process is gone and reaped: no grace is owed to what it left behind.
    auto stopped = isolation::stop(run.cgroup, nullptr, {.grace = std::chrono::milliseconds(0)});
    if (stopped) return true;
    std::fprintf(stderr, "edgectl run: cleaning up %s: %s\n", run.cgroup.path().c_str(),
                 stopped.error().describe().c_str());
    return false;
}

}  // namespace edgevisor::edgectl
