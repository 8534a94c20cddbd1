// The launchers being compared, one row each, all starting /bin/true with the same isolation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host_setup.hpp"
#include "launch.hpp"

namespace edgevisor::bench {

struct Row {
    std::string key;    // short, stable: "edgectl", "bwrap", ... (JSON output, --rows)
    std::string label;  // for the table
    std::optional<Command> command;
    bool in_oci_namespace = false;  // crun and runc: spawned from OciMountNamespace
    std::string skip_reason;        // non-empty: not measured, and why
    std::string baseline;  // key of the row whose cost this one adds to (e.g. unconfined), or ""
    std::vector<std::optional<Sample>> rounds;  // one entry per timed round; nullopt = failed
    std::string first_failure;                  // the first failed launch, for the report
};

struct RowOptions {
    std::string source_dir;      // the repository: bench/manifests/ lives here
    std::string edgectl;         // path of the edgectl binary
    std::string docker_profile;  // Docker's seccomp JSON (from ../shared; never in the repo)
    bool runc = true;
    bool crun_docker_seccomp = true;  // the crun row with Docker's profile, for scale
    std::string compare_edgectl;      // a second edgectl build, for A/B of an optimisation
};

// The key of the row that the others are compared against ("ours").
inline constexpr const char* kReferenceRow = "edgectl";

// Builds every row; rows whose tool or input is missing carry a skip_reason. `oci_ns` is
// created here when crun or runc can run, and must outlive the measurements.
std::vector<Row> make_rows(const RowOptions& options, Workspace& workspace,
                           std::optional<OciMountNamespace>& oci_ns);

}  // namespace edgevisor::bench
