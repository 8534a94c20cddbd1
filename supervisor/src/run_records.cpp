#include "run_records.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "edgevisor/atomic_file.hpp"

namespace edgevisor::supervisor {

using Json = nlohmann::json;

Result<RunRecords> read_run_records(const std::filesystem::path& file) {
    auto text = read_file(file);
    if (!text) {
        if (text.error().code == ENOENT) return RunRecords{};
        return std::unexpected(text.error());
    }
    Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail("records", file.string() + ": not a workloads file", EINVAL);
    RunRecords out;
    for (const auto& w : j.value("workloads", Json::array())) {
        if (!w.is_object()) continue;
        RunRecord r;
        r.name = w.value("name", "");
        r.hash = w.value("hash", "");
        r.launch_hash = w.value("launchHash", "");
        r.pid = w.value("pid", 0);
        r.start_time = w.value("startTime", std::uint64_t{0});
        r.boot_id = w.value("bootId", "");
        r.stop_signal = w.value("stopSignal", 15);
        r.stop_timeout_ms = w.value("stopTimeoutMs", std::int64_t{10000});
        r.restarts = w.value("restarts", 0u);
        if (!r.name.empty()) out.emplace(r.name, std::move(r));
    }
    return out;
}

Status write_run_records(const std::filesystem::path& file, const RunRecords& records) {
    Json list = Json::array();
    for (const auto& [name, r] : records)
        list.push_back({{"name", r.name},
                        {"hash", r.hash},
                        {"launchHash", r.launch_hash},
                        {"pid", r.pid},
                        {"startTime", r.start_time},
                        {"bootId", r.boot_id},
                        {"stopSignal", r.stop_signal},
                        {"stopTimeoutMs", r.stop_timeout_ms},
                        {"restarts", r.restarts}});
    // What a restarted daemon reads after its own crash: a rename is enough (the page cache
    // survives a process). After a power cut nothing runs, and the file is not needed.
    return write_file_atomic(file, Json{{"workloads", list}}.dump(), Durability::process_crash);
}

std::optional<std::string> proc_stat_fields(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) return std::nullopt;
    return text.substr(close + 2);
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
    auto text = proc_stat_fields(pid);
    if (!text) return std::nullopt;
    std::istringstream fields(*text);
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22) return std::stoull(field);
    return std::nullopt;
}

const std::string& current_boot_id() {
    static const std::string id = [] {
        std::ifstream in("/proc/sys/kernel/random/boot_id");
        std::string text;
        in >> text;
        return text;
    }();
    return id;
}

}  // namespace edgevisor::supervisor
