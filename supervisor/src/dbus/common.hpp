// What every D-Bus command of edgectl shares: exit codes, the connection, error lines, output.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/telemetry/control.hpp"
#include "edgevisor/telemetry/dbus_client.hpp"

namespace edgevisor::edgectl::bus {

// Stable exit codes (README "edgectl and the D-Bus interface").
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // refused document, --wait saw a failure, daemon failed
inline constexpr int kExitUsage = 2;   // bad arguments, unreadable file
inline constexpr int kExitNotRunning = 3;
inline constexpr int kExitAccessDenied = 4;
inline constexpr int kExitNoSuchWorkload = 5;

struct Options {
    std::string bus = "system";
    bool verbose = false;
    std::string output;  // "" (text) or "json"
};

// Prints the one line a user reads for a failed call and returns its exit code.
int report(const Error& error, const Options& options);

// Connects, or prints why not (returns nullptr and sets exit_code).
std::unique_ptr<telemetry::dbus::Client> connect(const Options& options, int& exit_code);

// -o json on a reading command.
void add_output_option(CLI::App& command, Options& options);
[[nodiscard]] bool json(const Options& options);

// Text output.
bool colour_on_stdout();
std::string coloured_state(const std::string& state, bool colour);
std::string coloured_health(const std::string& health, bool colour);
std::string format_duration_ms(std::int64_t ms);
std::string format_bytes(std::uint64_t bytes);
std::string format_time_ms(std::int64_t unix_ms);
std::int64_t now_unix_ms();
std::string uptime(const telemetry::WorkloadStatus& status);
// Rows of cells, each column padded to its widest cell; `colours` (when given) replaces a
// cell's text after padding, so escape codes do not count in the widths.
void print_table(const std::vector<std::vector<std::string>>& rows,
                 const std::vector<std::vector<std::string>>& coloured = {});

nlohmann::json to_json(const telemetry::WorkloadStatus& status);
nlohmann::json to_json(const telemetry::Event& event);
void print_json(const nlohmann::json& value);

void add_read_commands(CLI::App& app, Options& options, int& exit_code);
void add_change_commands(CLI::App& app, Options& options, int& exit_code);
void add_exec_command(CLI::App& app, Options& options, int& exit_code);

}  // namespace edgevisor::edgectl::bus
