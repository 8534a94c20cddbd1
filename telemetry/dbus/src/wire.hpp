// The D-Bus types of org.edgevisor.Supervisor1.xml and their conversion from and to the
// status model, shared by the service and the client so that both read one definition.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::dbus::wire {

// (sssssxussxtdtto): WorkloadStatus's fields in order, then the object path.
using Workload =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, std::int64_t,
                  std::uint32_t, std::string, std::string, std::int64_t, std::uint64_t, double,
                  std::uint64_t, std::uint64_t, sdbus::ObjectPath>;
using Event = sdbus::Struct<std::uint64_t, std::int64_t, std::string, std::string, std::string>;
using PlanEntry = sdbus::Struct<std::string, std::string>;
using Diagnostic = sdbus::Struct<std::string, std::int32_t, std::int32_t, std::string, std::string>;
using Layer = sdbus::Struct<std::string, std::uint64_t, std::uint32_t, std::vector<std::string>>;
// (load1, load5, load15, memoryTotalBytes, memoryAvailableBytes, supervisorCpuUsec,
//  supervisorCpuCores, supervisorRssBytes)
using NodeResources = sdbus::Struct<double, double, double, std::uint64_t, std::uint64_t,
                                    std::uint64_t, double, std::uint64_t>;
// (workload, layer, source, shadowed [(layer, source)]): LayerConflict's fields in order.
using LayerSource = sdbus::Struct<std::string, std::string>;
using Conflict = sdbus::Struct<std::string, std::string, std::string, std::vector<LayerSource>>;

// Error names (the XML's header comment lists them).
inline constexpr const char* kAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* kNoSuchWorkload = "org.edgevisor.Supervisor1.Error.NoSuchWorkload";
inline constexpr const char* kFailed = "org.edgevisor.Supervisor1.Error.Failed";

Workload to_wire(const WorkloadStatus& status);
WorkloadStatus from_wire(const Workload& workload);
Event to_wire(const telemetry::Event& event);
telemetry::Event from_wire(const Event& event);
Diagnostic to_wire(const manifests::Diagnostic& diagnostic);
manifests::Diagnostic from_wire(const Diagnostic& diagnostic);
Layer to_wire(const LayerStatus& layer);
// All zeros before the first sample.
NodeResources to_wire(const std::optional<telemetry::NodeResources>& resources);
LayerStatus from_wire(const Layer& layer);
// nullopt when all are 0 (the daemon has not sampled yet).
std::optional<telemetry::NodeResources> from_wire(const NodeResources& resources);
Conflict to_wire(const LayerConflict& conflict);
LayerConflict from_wire(const Conflict& conflict);

const char* outcome_name(ApplyOutcome outcome);
ApplyOutcome outcome_from_name(const std::string& name);

}  // namespace edgevisor::telemetry::dbus::wire
