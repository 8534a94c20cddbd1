#include "report.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "stats.hpp"

namespace edgevisor::bench {
namespace {

using nlohmann::json;

std::vector<double> wall_of(const Row& row) {
    std::vector<double> out;
    for (const auto& s : row.rounds) {
        if (s) out.push_back(s->wall_ms);
    }
    return out;
}

std::vector<double> cpu_of(const Row& row) {
    std::vector<double> out;
    for (const auto& s : row.rounds) {
        if (s) out.push_back(s->cpu_ms);
    }
    return out;
}

std::size_t failures_of(const Row& row) {
    std::size_t n = 0;
    for (const auto& s : row.rounds) n += s ? 0 : 1;
    return n;
}

const Row* find_row(const std::vector<Row>& rows, const std::string& key) {
    for (const auto& row : rows) {
        if (row.key == key && row.skip_reason.empty()) return &row;
    }
    return nullptr;
}

// The row a variant is measured against for "what does this add" (a seccomp profile: its
// unconfined sibling), when both were measured.
const Row* baseline_of(const std::vector<Row>& rows, const Row& row) {
    return row.baseline.empty() ? nullptr : find_row(rows, row.baseline);
}

// Per-round differences (variant minus baseline) over the rounds where both launched: rounds
// are interleaved, so noise that hits one round mostly cancels.
struct PairedCost {
    Spread wall;
    Spread cpu;
    double wall_above = 0;  // share of those rounds where the variant took longer
    double cpu_above = 0;
};

double share_above_zero(const std::vector<double>& values) {
    if (values.empty()) return 0;
    const auto above = std::count_if(values.begin(), values.end(), [](double v) { return v > 0; });
    return static_cast<double>(above) / static_cast<double>(values.size());
}

PairedCost paired_cost(const Row& variant, const Row& baseline) {
    std::vector<double> wall, cpu;
    const auto n = std::min(variant.rounds.size(), baseline.rounds.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (!variant.rounds[i] || !baseline.rounds[i]) continue;
        wall.push_back(variant.rounds[i]->wall_ms - baseline.rounds[i]->wall_ms);
        cpu.push_back(variant.rounds[i]->cpu_ms - baseline.rounds[i]->cpu_ms);
    }
    PairedCost cost;
    cost.wall_above = share_above_zero(wall);
    cost.cpu_above = share_above_zero(cpu);
    cost.wall = summarize(std::move(wall));
    cost.cpu = summarize(std::move(cpu));
    return cost;
}

// Every other launcher against ours, round by round: the figure behind "below bubblewrap".
void print_against_ours(const std::vector<Row>& rows, const Row& ours) {
    fmt::print(
        "\nOther launchers minus ours, per round (median [p10 p90]; rounds where ours was "
        "faster):\n");
    for (const auto& row : rows) {
        if (!row.skip_reason.empty() || row.key.starts_with("edgectl")) continue;
        const PairedCost cost = paired_cost(row, ours);
        fmt::print(
            "{:<38} wall {:>+7.2f} ms [{:+.2f} {:+.2f}] {:>4.0f}%   CPU {:>+7.2f} ms "
            "[{:+.2f} {:+.2f}] {:>4.0f}%\n",
            row.label, cost.wall.median, cost.wall.p10, cost.wall.p90, cost.wall_above * 100,
            cost.cpu.median, cost.cpu.p10, cost.cpu.p90, cost.cpu_above * 100);
    }
}

std::string ratio_text(double value, double reference) {
    return reference > 0 ? fmt::format("{:.2f}x", value / reference) : "-";
}

std::string first_line(const std::string& text) {
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

json spread_json(const Spread& s) {
    return {{"count", s.count}, {"p10", s.p10}, {"p25", s.p25}, {"median", s.median},
            {"p75", s.p75},     {"p90", s.p90}, {"min", s.min}, {"max", s.max}};
}

}  // namespace

std::string read_loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

RunInfo describe_machine() {
    RunInfo info;
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    std::array<char, 32> date{};
    std::strftime(date.data(), date.size(), "%Y-%m-%d %H:%M UTC", &utc);
    info.date_utc = date.data();

    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.starts_with("model name")) {
            info.cpu_model = line.substr(line.find(':') + 2);
            break;
        }
    }
    info.cpus = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN));
    utsname uts{};
    if (::uname(&uts) == 0) info.kernel = std::string(uts.sysname) + " " + uts.release;
    info.load_before = read_loadavg();
    return info;
}

void print_report(const std::vector<Row>& rows, const RunInfo& info) {
    fmt::print(
        "\nLaunch of /bin/true: pid, mount, ipc, uts, net namespaces, read-only /, "
        "fresh /proc, minimal /dev, tmpfs /tmp, no capabilities\n");
    fmt::print("{}; {} ({} CPUs), {}; load {} -> {}\n", info.date_utc, info.cpu_model, info.cpus,
               info.kernel, info.load_before, info.load_after);
    fmt::print(
        "N = {} launches per row after {} warm-up rounds, rows interleaved (order rotated "
        "each round)\n\n",
        info.runs, info.warmup);

    const Row* ours = find_row(rows, kReferenceRow);
    const Spread ours_wall = ours ? summarize(wall_of(*ours)) : Spread{};
    const Spread ours_cpu = ours ? summarize(cpu_of(*ours)) : Spread{};

    fmt::print("{:<38} {:>24} {:>7}   {:>24} {:>7} {:>6}\n", "", "wall ms: median [p10 p90]",
               "vs ours", "CPU ms: median [p10 p90]", "vs ours", "failed");
    for (const auto& row : rows) {
        if (!row.skip_reason.empty()) {
            fmt::print("{:<38} skipped: {}\n", row.label, first_line(row.skip_reason));
            continue;
        }
        const Spread wall = summarize(wall_of(row));
        const Spread cpu = summarize(cpu_of(row));
        fmt::print(
            "{:<38} {:>8.2f} [{:>6.2f} {:>6.2f}] {:>7}   {:>8.2f} [{:>6.2f} {:>6.2f}] {:>7} "
            "{:>6}\n",
            row.label, wall.median, wall.p10, wall.p90, ratio_text(wall.median, ours_wall.median),
            cpu.median, cpu.p10, cpu.p90, ratio_text(cpu.median, ours_cpu.median),
            failures_of(row));
    }

    bool header = false;
    for (const auto& row : rows) {
        const Row* baseline = row.skip_reason.empty() ? baseline_of(rows, row) : nullptr;
        if (baseline == nullptr) continue;
        if (!header) {
            fmt::print(
                "\nAdded cost over the same launcher unconfined (per-round difference, "
                "median [p10 p90]):\n");
            header = true;
        }
        const PairedCost cost = paired_cost(row, *baseline);
        fmt::print(
            "{:<38} wall {:>+7.2f} ms [{:+.2f} {:+.2f}]   CPU {:>+7.2f} ms [{:+.2f} {:+.2f}]\n",
            row.label, cost.wall.median, cost.wall.p10, cost.wall.p90, cost.cpu.median,
            cost.cpu.p10, cost.cpu.p90);
    }
    if (ours != nullptr && ours->skip_reason.empty()) print_against_ours(rows, *ours);
    for (const auto& row : rows) {
        if (!row.first_failure.empty()) {
            fmt::print("\n{}: first failed launch: {}\n", row.label, row.first_failure);
        }
    }
}

Status write_json_report(const std::string& path, const std::vector<Row>& rows,
                         const RunInfo& info) {
    json out = {
        {"date", info.date_utc}, {"cpu", info.cpu_model},           {"cpus", info.cpus},
        {"kernel", info.kernel}, {"load_before", info.load_before}, {"load_after", info.load_after},
        {"runs", info.runs},     {"warmup", info.warmup},           {"reference", kReferenceRow},
        {"rows", json::array()}};
    for (const auto& row : rows) {
        json r = {{"key", row.key}, {"label", row.label}};
        if (!row.skip_reason.empty()) {
            r["skipped"] = row.skip_reason;
        } else {
            r["command"] = row.command ? row.command->text() : "";
            r["wall_ms"] = spread_json(summarize(wall_of(row)));
            r["cpu_ms"] = spread_json(summarize(cpu_of(row)));
            r["failed"] = failures_of(row);
            r["samples_wall_ms"] = wall_of(row);
            r["samples_cpu_ms"] = cpu_of(row);
            if (const Row* baseline = baseline_of(rows, row)) {
                const PairedCost cost = paired_cost(row, *baseline);
                r["added_over"] = baseline->key;
                r["added_wall_ms"] = spread_json(cost.wall);
                r["added_cpu_ms"] = spread_json(cost.cpu);
            }
            const Row* ours = find_row(rows, kReferenceRow);
            if (ours != nullptr && ours != &row && ours->skip_reason.empty()) {
                const PairedCost against = paired_cost(row, *ours);
                r["minus_ours_wall_ms"] = spread_json(against.wall);
                r["minus_ours_cpu_ms"] = spread_json(against.cpu);
                r["ours_faster_share_wall"] = against.wall_above;
                r["ours_faster_share_cpu"] = against.cpu_above;
            }
        }
        out["rows"].push_back(std::move(r));
    }
    std::ofstream file(path, std::ios::trunc);
    file << out.dump(2) << '\n';
    file.close();
    if (!file) return fail_errno("write", "JSON report " + path);
    return {};
}

}  // namespace edgevisor::bench
