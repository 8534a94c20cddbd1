#include "common.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "edgevisor/telemetry/dbus.hpp"

namespace edgevisor::edgectl::bus {

namespace client_error = telemetry::dbus::client_error;

int report(const Error& error, const Options& options) {
    if (error.step == client_error::kNotRunning) {
        std::fprintf(stderr, "edgectl: edgevisord is not running on %s\n",
                     telemetry::dbus::describe_bus(options.bus).c_str());
        if (options.verbose) std::fprintf(stderr, "edgectl: %s\n", error.message.c_str());
        return kExitNotRunning;
    }
    std::fprintf(stderr, "edgectl: %s\n", error.message.c_str());
    if (error.step == client_error::kAccessDenied) return kExitAccessDenied;
    if (error.step == client_error::kNoSuchWorkload) return kExitNoSuchWorkload;
    if (error.step == client_error::kInvalidArgs) return kExitUsage;
    return kExitFailed;
}

std::unique_ptr<telemetry::dbus::Client> connect(const Options& options, int& exit_code) {
    auto client = telemetry::dbus::Client::connect(options.bus);
    if (!client) {
        exit_code = report(client.error(), options);
        return nullptr;
    }
    return std::move(*client);
}

void add_output_option(CLI::App& command, Options& options) {
    command.add_option("-o,--output", options.output, "output format: json")
        ->check(CLI::IsMember({"json", "text"}));
}

bool json(const Options& options) {
    return options.output == "json";
}

bool colour_on_stdout() {
    // Colour only for a person: a terminal, and no NO_COLOR (no-color.org).
    return ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
}

namespace {
std::string paint(const std::string& text, const char* code, bool colour) {
    if (!colour || code == nullptr) return text;
    return std::string("\033[") + code + "m" + text + "\033[0m";
}
}  // namespace

std::string coloured_state(const std::string& state, bool colour) {
    const char* code = "33";  // yellow: on its way somewhere
    if (state == "running") code = "32";
    if (state == "failed" || state == "crash-loop") code = "31";
    if (state == "exited") code = nullptr;
    return paint(state, code, colour);
}

std::string coloured_health(const std::string& health, bool colour) {
    if (health.empty()) return "-";
    const char* code = health == "healthy" ? "32" : health == "unhealthy" ? "31" : "33";
    return paint(health, code, colour);
}

std::string format_duration_ms(std::int64_t ms) {
    if (ms < 0) ms = 0;
    std::int64_t s = ms / 1000;
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
    if (s < 86400) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
    return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

std::string format_bytes(std::uint64_t bytes) {
    if (bytes == 0) return "-";
    const char* units[] = {"", "Ki", "Mi", "Gi", "Ti"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.1f%s", value, units[unit]);
    return text;
}

std::string format_time_ms(std::int64_t unix_ms) {
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char full[64];
    std::snprintf(full, sizeof full, "%s.%03dZ", text, static_cast<int>(unix_ms % 1000));
    return full;
}

std::int64_t now_unix_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string uptime(const telemetry::WorkloadStatus& status) {
    if (status.state != "running" || status.since_unix_ms == 0) return "-";
    return format_duration_ms(now_unix_ms() - status.since_unix_ms);
}

void print_table(const std::vector<std::vector<std::string>>& rows,
                 const std::vector<std::vector<std::string>>& coloured) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (widths.size() <= c) widths.push_back(0);
            widths[c] = std::max(widths[c], row[c].size());
        }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::string line;
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            const bool last = c + 1 == rows[r].size();
            const std::string& shown =
                r < coloured.size() && c < coloured[r].size() && !coloured[r][c].empty()
                    ? coloured[r][c]
                    : rows[r][c];
            line += shown;
            if (!last) line += std::string(widths[c] - rows[r][c].size() + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

nlohmann::json to_json(const telemetry::WorkloadStatus& s) {
    return {{"name", s.name},
            {"state", s.state},
            {"health", s.health},
            {"layer", s.layer},
            {"specHash", s.spec_hash},
            {"pid", s.pid},
            {"restarts", s.restarts},
            {"lastExit", s.last_exit},
            {"message", s.message},
            {"sinceUnixMs", s.since_unix_ms},
            {"cpuUsec", s.cpu_usec},
            {"cpuCores", s.cpu_cores},
            {"memoryBytes", s.memory_bytes},
            {"pids", s.pids},
            {"path", telemetry::dbus::workload_path(s.name)}};
}

nlohmann::json to_json(const telemetry::Event& e) {
    return {{"seq", e.seq},
            {"unixMs", e.unix_ms},
            {"workload", e.workload},
            {"kind", e.kind},
            {"message", e.message}};
}

void print_json(const nlohmann::json& value) {
    std::printf("%s\n", value.dump(2).c_str());
}

}  // namespace edgevisor::edgectl::bus
