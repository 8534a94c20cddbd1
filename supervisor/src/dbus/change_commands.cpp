// edgectl apply, delete, start, stop, restart: changes, for root and dbus.adminGroup.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "common.hpp"

namespace edgevisor::edgectl::bus {
namespace {

using telemetry::ApplyOutcome;
using telemetry::ApplyResult;
using telemetry::WorkloadStatus;
using telemetry::dbus::Client;

struct ApplyOptions {
    std::vector<std::string> files;
    bool dry_run = false;
    bool wait = false;
    int timeout_s = 120;
};

struct Document {
    std::string file;
    std::string text;
};

const char* plan_mark(const std::string& action) {
    if (action == "create") return "+";
    if (action == "delete") return "-";
    if (action == "replace") return "!";
    return "~";
}

const char* plan_words(const std::string& action) {
    if (action == "create") return "created";
    if (action == "delete") return "removed";
    if (action == "replace") return "replaced (restarted)";
    if (action == "update") return "changed in place (limits)";
    return action.c_str();
}

void print_plan(const ApplyResult& result) {
    for (const auto& entry : result.plan)
        std::printf("%s %s: %s\n", plan_mark(entry.action), entry.workload.c_str(),
                    plan_words(entry.action.c_str()));
}

// Where a workload that was applied stands for --wait.
enum class Progress { waiting, ready, failed };

Progress progress_of(const WorkloadStatus& s) {
    if (s.state == "failed" || s.state == "crash-loop") return Progress::failed;
    if (s.state == "running" && (s.health.empty() || s.health == "healthy")) return Progress::ready;
    return Progress::waiting;
}

std::string progress_line(const WorkloadStatus& s) {
    std::string line = s.name + ": " + s.state;
    if (!s.health.empty()) line += ", " + s.health;
    if (!s.message.empty())
        line += " (" + s.message + ")";
    else if (!s.last_exit.empty() && progress_of(s) != Progress::ready)
        line += " (" + s.last_exit + ")";
    return line;
}

// Follows the named workloads until each is running and healthy, or failed, or the timeout.
// On a terminal one line per workload is rewritten in place; otherwise a line per change.
int wait_for(Client& client, const std::vector<std::string>& names, const ApplyOptions& o,
             const Options& options) {
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    std::map<std::string, WorkloadStatus> last;
    std::map<std::string, std::string> shown;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
    bool drawn = false;
    for (;;) {
        std::size_t done = 0, failed = 0;
        for (const auto& name : names) {
            auto s = client.workload(name);
            if (!s) return report(s.error(), options);
            last[name] = *s;
            const Progress p = progress_of(*s);
            done += p != Progress::waiting;
            failed += p == Progress::failed;
        }
        if (terminal) {
            if (drawn) std::printf("\033[%zuA", names.size());
            for (const auto& name : names)
                std::printf("\033[2K%s\n", progress_line(last[name]).c_str());
            drawn = true;
        } else {
            for (const auto& name : names) {
                const std::string line = progress_line(last[name]);
                if (shown[name] != line) std::printf("%s\n", line.c_str());
                shown[name] = line;
            }
        }
        std::fflush(stdout);
        if (done == names.size()) {
            if (failed == 0) {
                std::printf("ready: %zu workload%s running and healthy\n", names.size(),
                            names.size() == 1 ? "" : "s");
                return kExitOk;
            }
            for (const auto& name : names)
                if (progress_of(last[name]) == Progress::failed)
                    std::fprintf(stderr, "edgectl: %s did not start: %s\n", name.c_str(),
                                 progress_line(last[name]).c_str());
            return kExitFailed;
        }
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) break;
        auto seen =
            client.wait(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(left),
                                 std::chrono::milliseconds(1000)));
        if (!seen) return report(seen.error(), options);
    }
    for (const auto& name : names)
        if (progress_of(last[name]) != Progress::ready)
            std::fprintf(stderr, "edgectl: %s is not running and healthy after %ds: %s\n",
                         name.c_str(), o.timeout_s, progress_line(last[name]).c_str());
    return kExitFailed;
}

bool print_rejected(const ApplyResult& result) {
    if (result.outcome != ApplyOutcome::rejected) return false;
    for (const auto& d : result.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    return true;
}

int apply(const ApplyOptions& o, const Options& options) {
    std::vector<Document> documents;
    for (const auto& file : o.files) {
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) {
            std::fprintf(stderr, "edgectl: cannot read %s\n", file.c_str());
            return kExitUsage;
        }
        documents.push_back({file, text.str()});
    }
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    if (o.wait)
        if (auto subscribed = client->subscribe(); !subscribed)
            return report(subscribed.error(), options);

    // Every file is checked (a dry run) before any is applied: a broken one changes nothing.
    bool rejected = false;
    std::vector<ApplyResult> plans;
    for (const auto& d : documents) {
        auto plan = client->apply(d.text, d.file, true);
        if (!plan) return report(plan.error(), options);
        rejected |= print_rejected(*plan);
        plans.push_back(std::move(*plan));
    }
    if (rejected) {
        std::fprintf(stderr, "rejected: nothing was applied\n");
        return kExitFailed;
    }
    if (o.dry_run) {
        for (const auto& plan : plans) print_plan(plan);
        std::printf("dry run: nothing was changed\n");
        return kExitOk;
    }
    std::vector<std::string> started;
    for (const auto& d : documents) {
        auto result = client->apply(d.text, d.file, false);
        if (!result) return report(result.error(), options);
        if (print_rejected(*result)) return kExitFailed;
        print_plan(*result);
        if (result->outcome == ApplyOutcome::applied)
            std::printf("%s: applied, revision %llu\n", d.file.c_str(),
                        static_cast<unsigned long long>(result->revision));
        else
            std::printf("%s: %s\n", d.file.c_str(),
                        result->outcome == ApplyOutcome::unchanged ? "unchanged" : "superseded");
        for (const auto& entry : result->plan)
            if (entry.action != "delete") started.push_back(entry.workload);
    }
    if (!o.wait || started.empty()) return kExitOk;
    return wait_for(*client, started, o, options);
}

int verb(const Options& options, const std::string& method, const std::string& name) {
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    Status done = method == "delete"  ? client->remove(name)
                  : method == "start" ? client->start(name)
                  : method == "stop"  ? client->stop(name)
                                      : client->restart(name);
    if (!done) return report(done.error(), options);
    return kExitOk;
}

}  // namespace

void add_change_commands(CLI::App& app, Options& options, int& exit_code) {
    auto o = std::make_shared<ApplyOptions>();
    auto* cmd = app.add_subcommand("apply", "Apply manifest files to the running supervisor");
    cmd->add_option("files", o->files, "manifest files (YAML)")->required();
    cmd->add_flag("--dry-run", o->dry_run, "show the plan (+ create, ~ change, ! restart) only");
    cmd->add_flag("--wait", o->wait, "wait until the applied workloads run and are healthy");
    cmd->add_option("--timeout", o->timeout_s, "seconds --wait waits")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    cmd->callback([&, o] { exit_code = apply(*o, options); });

    const std::vector<std::pair<std::string, std::string>> verbs = {
        {"delete", "Remove a workload that was applied"},
        {"start", "Start a stopped workload"},
        {"stop", "Stop a workload"},
        {"restart", "Restart a workload"}};
    for (const auto& [method, description] : verbs) {
        auto name = std::make_shared<std::string>();
        cmd = app.add_subcommand(method, description);
        cmd->add_option("name", *name, "workload name")->required();
        cmd->callback([&, name, m = method] { exit_code = verb(options, m, *name); });
    }
}

}  // namespace edgevisor::edgectl::bus
