#include "workload_object.hpp"

#include <array>
#include <type_traits>
#include <utility>

#include "edgevisor/log.hpp"
#include "edgevisor/telemetry/dbus.hpp"

namespace edgevisor::telemetry::dbus {
namespace {

// One property: its name, D-Bus type, how to write it and whether two statuses differ in it.
struct Field {
    const char* name;
    bool constant;  // never changes (emits no PropertiesChanged)
    std::string signature;
    void (*write)(sdbus::PropertyGetReply&, const WorkloadStatus&);
    bool (*differs)(const WorkloadStatus&, const WorkloadStatus&);
};

template <auto Member>
Field field(const char* name, bool constant = false) {
    using T = std::remove_cvref_t<decltype(std::declval<WorkloadStatus>().*Member)>;
    return Field{
        name,
        constant,
        sdbus::signature_of<T>::str(),
        [](sdbus::PropertyGetReply& reply, const WorkloadStatus& s) { reply << s.*Member; },
        [](const WorkloadStatus& a, const WorkloadStatus& b) { return a.*Member != b.*Member; },
    };
}

// The interface's properties in the XML's order ("Name" first: it never changes).
const std::array<Field, 14>& fields() {
    static const std::array<Field, 14> table = {
        field<&WorkloadStatus::name>("Name", true),
        field<&WorkloadStatus::state>("State"),
        field<&WorkloadStatus::health>("Health"),
        field<&WorkloadStatus::layer>("Layer"),
        field<&WorkloadStatus::spec_hash>("SpecHash"),
        field<&WorkloadStatus::pid>("Pid"),
        field<&WorkloadStatus::restarts>("Restarts"),
        field<&WorkloadStatus::last_exit>("LastExit"),
        field<&WorkloadStatus::message>("Message"),
        field<&WorkloadStatus::since_unix_ms>("SinceUnixMs"),
        field<&WorkloadStatus::cpu_usec>("CpuUsec"),
        field<&WorkloadStatus::cpu_cores>("CpuCores"),
        field<&WorkloadStatus::memory_bytes>("MemoryBytes"),
        field<&WorkloadStatus::pids>("Pids"),
    };
    return table;
}

}  // namespace

WorkloadObject::WorkloadObject(sdbus::IConnection& connection, WorkloadStatus status)
    : status_(std::move(status)),
      path_(workload_path(status_.name)),
      object_(sdbus::createObject(connection, path_)) {
    for (const Field& f : fields()) {
        sdbus::Flags flags;
        flags.set(f.constant ? sdbus::Flags::CONST_PROPERTY_VALUE
                             : sdbus::Flags::EMITS_CHANGE_SIGNAL);
        // A getter only copies a cached value: nothing in it can throw but bad_alloc, which
        // sd-bus would not catch; so it becomes an sdbus::Error like every handler's failure.
        object_->registerProperty(
            kWorkloadInterface, f.name, f.signature,
            [this, write = f.write](sdbus::PropertyGetReply& reply) {
                try {
                    write(reply, status_);
                } catch (const std::exception& e) {
                    throw sdbus::Error("org.edgevisor.Supervisor1.Error.Failed", e.what());
                }
            },
            flags);
    }
    object_->finishRegistration();
    object_->emitInterfacesAddedSignal();
}

WorkloadObject::~WorkloadObject() {
    try {
        object_->emitInterfacesRemovedSignal();
    } catch (const sdbus::Error& e) {
        // The connection may already be gone (the bus exited); the object goes all the same.
        log::debug("{}: InterfacesRemoved not sent: {}", status_.name, e.getMessage());
    }
}

bool WorkloadObject::update(const WorkloadStatus& status) {
    std::vector<std::string> changed;
    for (const Field& f : fields())
        if (f.differs(status_, status)) changed.emplace_back(f.name);
    const bool state_changed = status_.state != status.state || status_.health != status.health;
    status_ = status;
    if (!changed.empty()) object_->emitPropertiesChangedSignal(kWorkloadInterface, changed);
    return state_changed;
}

}  // namespace edgevisor::telemetry::dbus
