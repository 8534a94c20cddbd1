// One workload on the bus: the object /org/edgevisor/Supervisor1/workload/<escaped> with the
// org.edgevisor.Supervisor1.Workload properties, read from the last status the supervisor
// reported (no call into the supervisor per Get).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <memory>
#include <string>
#include <vector>

#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::dbus {

class WorkloadObject {
  public:
    // Registers the object (and announces it through the ObjectManager: InterfacesAdded).
    WorkloadObject(sdbus::IConnection& connection, WorkloadStatus status);
    // Announces InterfacesRemoved; the object unregisters with it.
    ~WorkloadObject();
    WorkloadObject(const WorkloadObject&) = delete;
    WorkloadObject& operator=(const WorkloadObject&) = delete;

    [[nodiscard]] const WorkloadStatus& status() const { return status_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    // Stores the new status and emits PropertiesChanged with the properties that differ.
    // Returns whether state or health changed.
    bool update(const WorkloadStatus& status);

  private:
    WorkloadStatus status_;
    std::string path_;
    std::unique_ptr<sdbus::IObject> object_;
};

}  // namespace edgevisor::telemetry::dbus
