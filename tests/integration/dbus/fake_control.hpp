// A small Control for the adapter's own tests (the end-to-end tests use the real daemon): a
// map of workloads that apply() fills from real manifest parsing, so diagnostics are the real
// file:line:col ones.
#pragma once

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::testing {

class FakeControl final : public telemetry::Control {
  public:
    telemetry::Observer* observer = nullptr;
    std::map<std::string, telemetry::WorkloadStatus> workloads;
    std::vector<telemetry::Event> event_log;
    std::map<std::string, std::vector<std::string>> log_lines;
    std::uint64_t api_revision = 0;
    std::size_t applies = 0;  // apply() calls that reached here (past the access check)
    // What an applied workload becomes (a test of `apply --wait` sets "crash-loop").
    std::string applied_state = "running";
    std::string applied_last_exit;

    [[nodiscard]] telemetry::NodeStatus status() const override {
        telemetry::NodeStatus node{"test-node", "0.1.0-test", {"line-3"}, {}, {}, {}, {}};
        node.layers.push_back({"api", api_revision, workloads.size(), {}});
        for (const auto& [name, status] : workloads) node.workloads.push_back(status);
        return node;
    }

    telemetry::ApplyResult apply(const telemetry::ApplyRequest& request) override {
        ++applies;
        telemetry::ApplyResult result;
        auto loaded = manifests::parse_text(request.text, request.source);
        if (!loaded.ok()) {
            result.diagnostics = loaded.diagnostics;
            return result;
        }
        for (const auto& workload : loaded.workloads) {
            const std::string hash = manifests::canonical_hash(workload);
            auto it = workloads.find(workload.metadata.name);
            if (it == workloads.end())
                result.plan.push_back({workload.metadata.name, "create"});
            else if (it->second.spec_hash != hash)
                result.plan.push_back({workload.metadata.name, "replace"});
        }
        result.outcome = result.plan.empty() ? telemetry::ApplyOutcome::unchanged
                                             : telemetry::ApplyOutcome::applied;
        if (request.dry_run || result.plan.empty()) return result;
        result.revision = ++api_revision;
        for (const auto& workload : loaded.workloads) {
            auto& status = workloads[workload.metadata.name];
            status.name = workload.metadata.name;
            status.state = applied_state;
            status.last_exit = applied_last_exit;
            status.since_unix_ms = 1700000000000;
            status.layer = "api";
            status.spec_hash = manifests::canonical_hash(workload);
            status.pid = 4242;
            notify(status);
        }
        return result;
    }

    Status remove(std::string_view name) override {
        auto it = workloads.find(std::string(name));
        if (it == workloads.end()) return unknown(name);
        workloads.erase(it);
        ++api_revision;
        if (observer) observer->workload_removed(name);
        return {};
    }
    Status start(std::string_view name) override { return set_state(name, "running", 4242); }
    Status stop(std::string_view name) override { return set_state(name, "exited", 0); }
    Status restart(std::string_view name) override {
        auto it = workloads.find(std::string(name));
        if (it == workloads.end()) return unknown(name);
        ++it->second.restarts;
        it->second.pid += 1;
        notify(it->second);
        return {};
    }

    [[nodiscard]] std::vector<telemetry::Event> events(std::uint64_t after_seq,
                                                       std::size_t max) const override {
        std::vector<telemetry::Event> out;
        for (const auto& e : event_log)
            if (e.seq > after_seq && out.size() < max) out.push_back(e);
        return out;
    }

    [[nodiscard]] Result<std::vector<std::string>> logs(std::string_view name,
                                                        std::size_t lines) const override {
        if (!workloads.contains(std::string(name))) return unknown(name);
        auto it = log_lines.find(std::string(name));
        if (it == log_lines.end()) return std::vector<std::string>{};
        const auto& all = it->second;
        const std::size_t from = all.size() > lines ? all.size() - lines : 0;
        return std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
    }

    void notify(const telemetry::WorkloadStatus& status) {
        if (observer) observer->workload_changed(status);
    }

  private:
    static std::unexpected<Error> unknown(std::string_view name) {
        return fail("workload", "no workload '" + std::string(name) + "'", ENOENT);
    }
    Status set_state(std::string_view name, const char* state, std::int64_t pid) {
        auto it = workloads.find(std::string(name));
        if (it == workloads.end()) return unknown(name);
        it->second.state = state;
        it->second.pid = pid;
        notify(it->second);
        return {};
    }
};

}  // namespace edgevisor::testing
