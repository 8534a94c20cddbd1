// The layers of desired state that arrive over the channels, persisted crash-safely before
// anything acknowledges them (atomic_file.hpp). One file per layer in <paths.state>/layers/:
//   api           D-Bus Apply / edgectl apply: Workload documents merged by name
//   node          MQTT nodes/<id>/desired: one DesiredState document, replaced whole
//   group:<name>  MQTT groups/<name>/desired: the same, per group of node.groups
// A layer keeps the texts it was given (so a restart parses exactly what was acknowledged) and
// the names each text still contributes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "desired.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::supervisor {

struct LayerDocument {
    std::string text;
    std::string source;
    std::vector<std::string> names;  // the workloads of this text that the layer still holds
};

struct Layer {
    std::string name;
    std::uint64_t revision = 0;
    std::vector<LayerDocument> documents;
    std::map<std::string, DesiredWorkload> workloads;  // parsed from documents
    std::vector<manifests::Diagnostic> errors;         // of the last rejected document
};

// True for "api", "node" and "group:<valid name>".
bool valid_layer_name(std::string_view name);

class LayerStore {
  public:
    explicit LayerStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

    // Reads every persisted layer. A layer file that cannot be read or parsed is logged and
    // skipped (it never was acknowledged in that form: writes are atomic).
    Status load();
    // Writes the layer (atomically) and then holds it.
    Status store(Layer layer);
    [[nodiscard]] const Layer* find(std::string_view name) const;
    Layer& get_or_add(const std::string& name);
    [[nodiscard]] const std::map<std::string, Layer>& layers() const { return layers_; }

  private:
    [[nodiscard]] std::filesystem::path file_of(const std::string& layer) const;
    std::filesystem::path dir_;
    std::map<std::string, Layer> layers_;
};

}  // namespace edgevisor::supervisor
