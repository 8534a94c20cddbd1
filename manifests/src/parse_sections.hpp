// The section parsers of one Workload document, and the checks that span documents. Each
// parser reports into the Context and fills only what is valid; a document is valid when it
// added no diagnostic.
#pragma once

#include "yaml_tree.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/manifests/mqtt_config.hpp"
#include "yaml_reader.hpp"

namespace edgevisor::manifests::detail {

// A document as parsed, with the marks that cross-document checks point at.
struct ParsedDocument {
    Workload workload;
    SourceMark name_mark;                      // metadata.name's value
    std::vector<SourceMark> dependency_marks;  // one per spec.dependsOn entry
    bool named = false;                        // metadata.name was read and is valid
    bool valid = false;                        // the document produced no diagnostic
};

// [a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?: workload names become cgroup and file names.
bool valid_workload_name(std::string_view name);

ParsedDocument parse_workload(Context& ctx, const yaml::Node& document);
void parse_health(Context& ctx, const yaml::Node& node, const std::string& where, Health& out);
void parse_resources(Context& ctx, const yaml::Node& node, const std::string& where,
                     Resources& out);
void parse_isolation(Context& ctx, const yaml::Node& node, const std::string& where,
                     Isolation& out);
void parse_seccomp(Context& ctx, const yaml::Node& node, const std::string& where, Seccomp& out);

// The node config's `mqtt:` section.
void parse_mqtt_section(Context& ctx, const yaml::Node& node, MqttConfig& out);

// Duplicate names, unknown dependencies and cycles across all documents given. Documents that
// take part in an error become invalid.
void check_across_documents(std::vector<ParsedDocument>& documents, std::vector<Diagnostic>& out,
                            Dependencies dependencies);

}  // namespace edgevisor::manifests::detail
