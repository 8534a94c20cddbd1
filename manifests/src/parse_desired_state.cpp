// kind: DesiredState: the envelope (apiVersion, kind, revision, workloads) read here, each
// item of `workloads` by the Workload parser, then the checks across the items.
#include "edgevisor/manifests/desired_state.hpp"

#include "load_text.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests {
namespace {

using detail::Context;
using detail::MapReader;
using detail::ParsedDocument;
namespace yaml = detail::yaml;

std::vector<ParsedDocument> parse_items(Context& ctx, const MapReader& top) {
    std::vector<ParsedDocument> items;
    const yaml::Node* list = top.find("workloads");
    if (list == nullptr || !detail::expect_list(ctx, *list, "workloads")) return items;
    for (const yaml::Node& item : *list) items.push_back(detail::parse_workload(ctx, item));
    return items;
}

}  // namespace

DesiredStateResult parse_desired_state(std::string_view text, const std::string& source,
                                       const ParseLimits& limits, Dependencies dependencies) {
    DesiredStateResult result;
    auto& out = result.diagnostics;
    auto parsed = detail::load_bounded(text, source, limits, out);
    if (!parsed) return result;
    std::vector<yaml::Node> documents;
    for (const yaml::Node& node : parsed->roots)
        if (!node.IsNull()) documents.push_back(node);
    Context ctx(source, out);
    if (documents.size() != 1) {
        SourceMark at{source, 1, 1};
        if (documents.size() > 1) at = ctx.mark(documents[1]);
        ctx.error(at, "one-document",
                  "expected one DesiredState document, found " + std::to_string(documents.size()));
        return result;
    }
    const yaml::Node& document = documents.front();
    if (!detail::walk_within_limits(ctx, document, limits)) return result;
    ctx.set_fallback(ctx.mark(document));
    MapReader top(ctx, document, "", {"apiVersion", "kind", "revision", "workloads"});
    if (!top) return result;
    for (std::string_view key : {"apiVersion", "kind", "revision", "workloads"}) top.require(key);
    detail::check_header(ctx, top, "DesiredState");
    std::uint64_t revision = 0;
    top.number("revision", revision, 1, kMaxRevision);
    auto items = parse_items(ctx, top);
    detail::check_across_documents(items, out, dependencies);
    detail::sort_by_position(out.begin(), out.end());
    if (!out.empty()) return result;
    result.state.revision = revision;
    for (ParsedDocument& item : items) result.state.workloads.push_back(std::move(item.workload));
    return result;
}

}  // namespace edgevisor::manifests
