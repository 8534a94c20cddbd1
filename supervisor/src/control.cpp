// The channels' Control calls. apply() is all-or-nothing per document and persists the layer
// before it returns "applied" (so the caller may acknowledge).
#include "core.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

telemetry::ApplyResult rejected(std::vector<manifests::Diagnostic> diagnostics) {
    telemetry::ApplyResult r;
    r.outcome = telemetry::ApplyOutcome::rejected;
    r.diagnostics = std::move(diagnostics);
    return r;
}

manifests::Diagnostic diagnostic(const std::string& source, std::string rule, std::string message) {
    return manifests::Diagnostic{manifests::SourceMark{source, 1, 1}, std::move(rule),
                                 std::move(message)};
}

// The layer as it would be after the document: node/group take a DesiredState whole; api
// merges Workload documents by name (a DesiredState replaces the api layer whole).
Layer next_layer(const Layer& current, const telemetry::ApplyRequest& request,
                 manifests::DesiredDocument& doc) {
    Layer next;
    next.name = request.layer;
    LayerDocument text{request.text, request.source, {}};
    for (const auto& w : doc.result.workloads) text.names.push_back(w.metadata.name);
    if (!doc.revision) {
        next.documents = current.documents;
        next.workloads = current.workloads;
        for (auto& d : next.documents)
            std::erase_if(d.names, [&](const std::string& n) {
                return std::find(text.names.begin(), text.names.end(), n) != text.names.end();
            });
        std::erase_if(next.documents, [](const LayerDocument& d) { return d.names.empty(); });
    }
    next.documents.push_back(std::move(text));
    for (auto& w : doc.result.workloads) {
        std::string name = w.metadata.name;
        next.workloads.insert_or_assign(name, make_desired(std::move(w), request.layer));
    }
    return next;
}

bool same_workloads(const Layer& a, const Layer& b) {
    if (a.workloads.size() != b.workloads.size()) return false;
    for (const auto& [name, w] : a.workloads) {
        auto it = b.workloads.find(name);
        if (it == b.workloads.end() || it->second.hash != w.hash) return false;
    }
    return true;
}

}  // namespace

telemetry::ApplyResult Core::apply(const telemetry::ApplyRequest& request) {
    if (!valid_layer_name(request.layer))
        return rejected({diagnostic(
            request.source, "layer",
            "unknown layer '" + request.layer + "' (expected api, node or group:<name>)")});
    auto doc = manifests::parse_desired(request.text, request.source);
    if (!doc.result.ok()) {
        if (!request.dry_run) {
            layers_.get_or_add(request.layer).errors = doc.result.diagnostics;
            emit_event("", "rejected", request.source + ": " + doc.result.diagnostics[0].format());
            snapshot_dirty_ = true;
        }
        return rejected(std::move(doc.result.diagnostics));
    }
    if (request.layer != "api" && !doc.revision)
        return rejected({diagnostic(
            request.source, "desired-state",
            "layer " + request.layer + " takes one DesiredState document (with a revision)")});
    const Layer empty{request.layer, 0, {}, {}, {}};
    const Layer* found = layers_.find(request.layer);
    const Layer& current = found ? *found : empty;
    telemetry::ApplyResult result;
    result.revision = doc.revision.value_or(current.revision + 1);
    if (doc.revision && *doc.revision < current.revision) {
        result.outcome = telemetry::ApplyOutcome::superseded;
        return result;
    }
    Layer next = next_layer(current, request, doc);
    next.revision = result.revision;
    // A DesiredState with a newer revision and the same workloads is applied (an empty plan):
    // the layer's revision moves on, so the fleet sees that revision acknowledged.
    if ((doc.revision && *doc.revision == current.revision && found) ||
        (!doc.revision && same_workloads(current, next))) {
        result.outcome = telemetry::ApplyOutcome::unchanged;
        result.revision = current.revision;
        return result;
    }
    // The plan against a view where this layer is replaced by `next`.
    std::map<std::string, std::vector<const DesiredWorkload*>> view;
    view["files"] = files_.workloads();
    for (const auto& [name, layer] : layers_.layers())
        if (name != request.layer)
            for (const auto& [wname, w] : layer.workloads) view[name].push_back(&w);
    for (const auto& [wname, w] : next.workloads) view[request.layer].push_back(&w);
    for (const auto& step : current_plan(merge_layers(view, layer_order(config_.node.groups))))
        result.plan.push_back({step.name, plan_action_name(step.action)});
    if (request.dry_run) {
        result.outcome = telemetry::ApplyOutcome::applied;
        return result;
    }
    if (auto st = layers_.store(std::move(next)); !st) {
        result.outcome = telemetry::ApplyOutcome::rejected;
        result.diagnostics.push_back(
            diagnostic(request.source, "persist", "not stored: " + st.error().describe()));
        return result;
    }
    log::info("layers: {} revision {} applied from {}", request.layer, result.revision,
              request.source);
    emit_event("", "apply", request.layer + " revision " + std::to_string(result.revision));
    result.outcome = telemetry::ApplyOutcome::applied;
    // A fleet document is carried out once the channel has sent its RECEIVED (posted: after
    // this dispatch), so the promise goes out before the launches. A D-Bus Apply reconciles at
    // once: its caller looks at the workloads as soon as the reply comes (edgectl apply --wait).
    if (request.layer == "api")
        reconcile();
    else
        loop_.post([this] { reconcile(); });
    return result;
}

Status Core::remove(std::string_view name) {
    const Layer* api = layers_.find("api");
    if (api == nullptr || !api->workloads.contains(std::string(name)))
        return fail("remove", "no workload '" + std::string(name) + "' in the api layer", ENOENT);
    Layer next = *api;
    next.workloads.erase(std::string(name));
    for (auto& d : next.documents) std::erase(d.names, std::string(name));
    std::erase_if(next.documents, [](const LayerDocument& d) { return d.names.empty(); });
    ++next.revision;
    if (auto st = layers_.store(std::move(next)); !st) return st;
    reconcile();
    return {};
}

Status Core::start(std::string_view name) {
    Unit* unit = find(name);
    if (unit == nullptr || unit->remove)
        return fail("start", "no workload named '" + std::string(name) + "'", ENOENT);
    unit->want_up = true;
    unit->quick_failures = 0;
    if (unit->state == State::backoff || unit->state == State::crash_loop) {
        unit->timer.reset();
        fire(*unit, Event::timer);  // now, instead of at the end of the backoff
    } else if (is_down(unit->state) && unit->state != State::waiting) {
        fire(*unit, Event::want_up);
    }
    return {};
}

Status Core::stop(std::string_view name) {
    Unit* unit = find(name);
    if (unit == nullptr || unit->remove)
        return fail("stop", "no workload named '" + std::string(name) + "'", ENOENT);
    unit->want_up = false;
    request_down(*unit);
    return {};
}

Status Core::restart(std::string_view name) {
    Unit* unit = find(name);
    if (unit == nullptr || unit->remove)
        return fail("restart", "no workload named '" + std::string(name) + "'", ENOENT);
    unit->restart_requested = true;
    unit->want_up = false;
    request_down(*unit);
    return {};
}

}  // namespace edgevisor::supervisor
