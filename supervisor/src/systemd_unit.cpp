#include "systemd_unit.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

struct Freer {
    void operator()(char* p) const { std::free(p); }
};
using CString = std::unique_ptr<char, Freer>;

struct BusUnref {
    void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
    void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};

std::string own_unit() {
    char* unit = nullptr;
    if (sd_pid_get_unit(0, &unit) < 0) return "";
    return CString(unit).get();
}

// The job's object path, "" when the unit has none.
std::string job_of(sd_bus* bus, const std::string& unit, sd_bus_error* error) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &path) < 0) return "";
    CString unit_path(path);
    sd_bus_message* raw = nullptr;
    if (sd_bus_get_property(bus, "org.freedesktop.systemd1", unit_path.get(),
                            "org.freedesktop.systemd1.Unit", "Job", error, &raw, "(uo)") < 0)
        return "";
    std::unique_ptr<sd_bus_message, MessageUnref> reply(raw);
    std::uint32_t id = 0;
    const char* job = nullptr;
    if (sd_bus_message_read(reply.get(), "(uo)", &id, &job) < 0 || id == 0) return "";
    return job;
}

}  // namespace

std::string systemd_job_type() {
    if (::getenv("INVOCATION_ID") == nullptr) return "";
    std::string unit = own_unit();
    if (unit.empty()) return "";
    sd_bus* raw = nullptr;
    if (int rc = sd_bus_open_system(&raw); rc < 0) {
        log::warn("edgevisord: cannot ask systemd for {}'s job (system bus: {})", unit,
                  std::strerror(-rc));
        return "";
    }
    std::unique_ptr<sd_bus, BusUnref> bus(raw);
    // systemd answers at once; a wedged bus must not hold up a stop for long.
    sd_bus_set_method_call_timeout(bus.get(), 5 * 1000 * 1000);
    sd_bus_error error = SD_BUS_ERROR_NULL;
    std::string type;
    if (std::string job = job_of(bus.get(), unit, &error); !job.empty()) {
        char* text = nullptr;
        if (sd_bus_get_property_string(bus.get(), "org.freedesktop.systemd1", job.c_str(),
                                       "org.freedesktop.systemd1.Job", "JobType", &error,
                                       &text) >= 0)
            type = CString(text).get();
    }
    if (sd_bus_error_is_set(&error))
        log::warn("edgevisord: cannot ask systemd for {}'s job: {}", unit, error.message);
    sd_bus_error_free(&error);
    return type;
}

std::vector<std::string> WorkloadScope::launcher() const {
    return {"systemd-run", "--scope", "--quiet", "--unit=" + name, "--slice=" + slice,
            // systemd stops the scope only after the daemon (which stops the workloads in
            // their order) at shutdown; Delegate: the cgroups below it are ours.
            "--property=Delegate=yes", "--property=Before=" + unit,
            "--description=edgevisor workloads of " + unit, "--"};
}

std::optional<WorkloadScope> workload_scope(const std::string& own_cgroup) {
    if (::getenv("INVOCATION_ID") == nullptr) return std::nullopt;
    std::string unit = own_unit();
    char* slice = nullptr;
    if (unit.empty() || !unit.ends_with(".service") || sd_pid_get_slice(0, &slice) < 0)
        return std::nullopt;
    CString slice_owner(slice);
    // The unit's cgroup is <slice path>/<unit>[/supervisor]: the scope is its sibling.
    auto at = own_cgroup.rfind("/" + unit);
    if (at == std::string::npos) return std::nullopt;
    WorkloadScope scope;
    scope.unit = unit;
    scope.name = unit.substr(0, unit.size() - std::string(".service").size()) + "-workloads.scope";
    scope.slice = slice;
    scope.cgroup = own_cgroup.substr(0, at) + "/" + scope.name;
    return scope;
}

}  // namespace edgevisor::supervisor
