// edgevisor-launch-bench: times `edgectl run` of /bin/true with full isolation side by side
// with bubblewrap, crun and runc doing the same (issue 3 "Performance", issue 4 seccomp rows).
// Rows are interleaved round by round, so load from elsewhere on the machine hits all alike.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

#include "launch.hpp"
#include "report.hpp"
#include "rows.hpp"

namespace {

using namespace edgevisor;
using namespace edgevisor::bench;

struct Options {
    int runs = 200;
    int warmup = 10;
    RowOptions rows;
    std::vector<std::string> only;  // row keys to keep; empty keeps all
    std::string json_path;
};

LaunchOptions launch_options(const Row& row, int output_fd,
                             const std::optional<OciMountNamespace>& oci_ns) {
    LaunchOptions options;
    options.output_fd = output_fd;
    if (row.in_oci_namespace && oci_ns) {
        options.mount_ns_fd = oci_ns->fd();
        options.home_mount_ns_fd = oci_ns->home_fd();
    }
    return options;
}

// The last lines a launcher wrote, for a skip reason that says why it failed.
std::string tail_of(int fd) {
    std::string text;
    std::array<char, 4096> buffer{};
    ::lseek(fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const auto start = text.size() > 600 ? text.rfind('\n', text.size() - 600) : 0;
    return text.substr(start == std::string::npos ? 0 : start);
}

// One untimed launch per row with its output captured: a row that cannot start /bin/true is
// skipped with the launcher's own message instead of polluting the figures.
void validate(std::vector<Row>& rows, const std::optional<OciMountNamespace>& oci_ns) {
    for (auto& row : rows) {
        if (!row.skip_reason.empty()) continue;
        UniqueFd output(::memfd_create("bench-output", MFD_CLOEXEC));
        auto sample = time_launch(*row.command, launch_options(row, output.get(), oci_ns));
        if (!sample) {
            row.skip_reason = sample.error().describe();
        } else if (!sample->succeeded()) {
            std::string said = tail_of(output.get());
            for (auto& c : said) c = c == '\n' ? ' ' : c;
            row.skip_reason = sample->describe_status() + (said.empty() ? "" : ": " + said);
        }
        if (!row.skip_reason.empty()) {
            fmt::print(stderr, "{}: not measured: {}\n", row.label, row.skip_reason);
        }
    }
}

// Warm-up rounds first (page cache, dentries), then the timed rounds. Each round launches every
// row once; the starting row rotates so that no row always follows the same neighbour.
Status measure(std::vector<Row>& rows, const Options& options,
               const std::optional<OciMountNamespace>& oci_ns) {
    std::vector<Row*> active;
    for (auto& row : rows) {
        if (row.skip_reason.empty()) active.push_back(&row);
    }
    if (active.empty()) return fail("measure", "no row can run on this machine");
    UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!null) return fail_errno("open", "/dev/null");

    const int total = options.warmup + options.runs;
    for (int round = 0; round < total; ++round) {
        if (round % std::max(1, total / 10) == 0) {
            fmt::print(stderr, "round {}/{}\n", round, total);
        }
        for (std::size_t j = 0; j < active.size(); ++j) {
            Row& row = *active[(static_cast<std::size_t>(round) + j) % active.size()];
            auto sample = time_launch(*row.command, launch_options(row, null.get(), oci_ns));
            if (!sample) return std::unexpected(sample.error().wrap(row.label));
            if (round < options.warmup) continue;
            if (sample->succeeded()) {
                row.rounds.emplace_back(*sample);
            } else {
                row.rounds.emplace_back(std::nullopt);
                if (row.first_failure.empty()) row.first_failure = sample->describe_status();
            }
        }
    }
    return {};
}

void keep_only(std::vector<Row>& rows, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    std::erase_if(rows, [&](const Row& row) {
        return std::find(keys.begin(), keys.end(), row.key) == keys.end();
    });
}

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    Options options;
    options.rows.source_dir = EDGEVISOR_SOURCE_DIR;
    options.rows.edgectl = EDGEVISOR_EDGECTL_PATH;

    CLI::App app{"edgevisor-launch-bench: launch cost of edgectl run against bwrap, crun, runc"};
    app.add_option("-n,--runs", options.runs, "timed launches per row")->check(CLI::PositiveNumber);
    app.add_option("-w,--warmup", options.warmup, "untimed rounds first")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--edgectl", options.rows.edgectl, "edgectl binary")->capture_default_str();
    app.add_option("--source-dir", options.rows.source_dir, "the edgevisor repository")
        ->capture_default_str();
    app.add_option("--docker-profile", options.rows.docker_profile,
                   "Docker's seccomp profile (default: <source-dir>/../shared/data/seccomp/"
                   "docker-default.json)");
    app.add_option(
        "--rows", options.only,
        "only these rows: edgectl, edgectl-b, edgectl-seccomp-default, edgectl-seccomp-deny-list, "
        "edgectl-default, bwrap-user, "
        "edgectl-seccomp-docker, "
        "bwrap, crun, crun-seccomp-docker, runc (several: repeat or space-separate)");
    app.add_flag("!--no-runc", options.rows.runc, "leave runc out");
    app.add_flag("!--no-crun-seccomp", options.rows.crun_docker_seccomp,
                 "leave out crun with Docker's profile");
    app.add_option("--compare-edgectl", options.rows.compare_edgectl,
                   "a second edgectl build measured as its own row (A/B of an optimisation)");
    app.add_option("--json", options.json_path, "also write the figures and samples here");
    CLI11_PARSE(app, argc, argv);

    // Absolute paths only: entering the OCI mount namespace resets the working directory.
    options.rows.source_dir = fs::absolute(options.rows.source_dir).lexically_normal();
    options.rows.edgectl = fs::absolute(options.rows.edgectl).lexically_normal();
    if (!options.rows.compare_edgectl.empty()) {
        options.rows.compare_edgectl = fs::absolute(options.rows.compare_edgectl);
    }
    if (options.rows.docker_profile.empty()) {
        options.rows.docker_profile =
            options.rows.source_dir + "/../shared/data/seccomp/docker-default.json";
    }
    options.rows.docker_profile = fs::absolute(options.rows.docker_profile).lexically_normal();
    if (!options.json_path.empty()) options.json_path = fs::absolute(options.json_path);

    if (::geteuid() != 0) {
        fmt::print(stderr, "edgevisor-launch-bench: run as root (namespaces, mounts, crun)\n");
        return 1;
    }
    if (auto reaper = become_subreaper(); !reaper) {
        fmt::print(stderr, "edgevisor-launch-bench: {}\n", reaper.error().describe());
        return 1;
    }
    auto workspace = Workspace::create();
    if (!workspace) {
        fmt::print(stderr, "edgevisor-launch-bench: {}\n", workspace.error().describe());
        return 1;
    }
    RunInfo info = describe_machine();
    info.runs = options.runs;
    info.warmup = options.warmup;

    std::optional<OciMountNamespace> oci_ns;
    std::vector<Row> rows = make_rows(options.rows, *workspace, oci_ns);
    keep_only(rows, options.only);
    validate(rows, oci_ns);
    if (auto measured = measure(rows, options, oci_ns); !measured) {
        fmt::print(stderr, "edgevisor-launch-bench: {}\n", measured.error().describe());
        return 1;
    }
    info.load_after = read_loadavg();
    print_report(rows, info);
    if (!options.json_path.empty()) {
        if (auto written = write_json_report(options.json_path, rows, info); !written) {
            fmt::print(stderr, "edgevisor-launch-bench: {}\n", written.error().describe());
            return 1;
        }
    }
    return 0;
}
