#include "layer_store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "edgevisor/atomic_file.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

using Json = nlohmann::json;

bool valid_group(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

Json to_json(const Layer& layer) {
    Json docs = Json::array();
    for (const auto& d : layer.documents)
        docs.push_back({{"text", d.text}, {"source", d.source}, {"names", d.names}});
    return {{"layer", layer.name}, {"revision", layer.revision}, {"documents", docs}};
}

// Parses the layer's texts again and keeps the named workloads of each.
Result<Layer> from_json(const std::string& text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail("layers", "not a layer file", EINVAL);
    Layer layer;
    layer.name = j.value("layer", "");
    layer.revision = j.value("revision", std::uint64_t{0});
    for (const auto& d : j.value("documents", Json::array())) {
        LayerDocument doc{d.value("text", ""), d.value("source", ""),
                          d.value("names", std::vector<std::string>{})};
        auto parsed = manifests::parse_desired(doc.text, doc.source);
        if (!parsed.result.ok())
            return fail("layers",
                        "a stored document of layer " + layer.name +
                            " no longer parses: " + parsed.result.diagnostics[0].format(),
                        EINVAL);
        for (auto& w : parsed.result.workloads)
            if (std::find(doc.names.begin(), doc.names.end(), w.metadata.name) != doc.names.end()) {
                std::string name = w.metadata.name;
                layer.workloads.insert_or_assign(name, make_desired(std::move(w), layer.name));
            }
        layer.documents.push_back(std::move(doc));
    }
    return layer;
}

}  // namespace

bool valid_layer_name(std::string_view name) {
    if (name == "api" || name == "node") return true;
    return name.starts_with("group:") && valid_group(name.substr(6));
}

std::filesystem::path LayerStore::file_of(const std::string& layer) const {
    std::string file = layer;
    std::replace(file.begin(), file.end(), ':', '-');
    return dir_ / (file + ".json");
}

Status LayerStore::load() {
    std::error_code ec;
    if (!std::filesystem::exists(dir_, ec)) return {};
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        if (entry.path().extension() != ".json") continue;
        auto text = read_file(entry.path());
        if (!text) {
            log::error("layers: {}", text.error().describe());
            continue;
        }
        auto layer = from_json(*text);
        if (!layer || !valid_layer_name(layer->name)) {
            log::error("layers: {}: {}", entry.path().string(),
                       layer ? "unknown layer name" : layer.error().describe());
            continue;
        }
        std::string name = layer->name;
        layers_.insert_or_assign(name, std::move(*layer));
    }
    if (ec) return fail("layers", "cannot list " + dir_.string(), ec.value());
    return {};
}

Status LayerStore::store(Layer layer) {
    if (auto st = make_dirs(dir_); !st) return st;
    if (auto st = write_file_atomic(file_of(layer.name), to_json(layer).dump()); !st) return st;
    std::string name = layer.name;
    layers_.insert_or_assign(name, std::move(layer));
    return {};
}

const Layer* LayerStore::find(std::string_view name) const {
    auto it = layers_.find(std::string(name));
    return it == layers_.end() ? nullptr : &it->second;
}

Layer& LayerStore::get_or_add(const std::string& name) {
    auto [it, fresh] = layers_.try_emplace(name);
    if (fresh) it->second.name = name;
    return it->second;
}

}  // namespace edgevisor::supervisor
