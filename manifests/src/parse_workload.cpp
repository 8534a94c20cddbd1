// The document's top level, metadata, and the process part of spec: command, env, workingDir,
// user, restart, dependsOn, logs. Health, resources and isolation have their own files.
#include <algorithm>
#include <array>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "load_text.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Kubernetes-style label keys: an optional DNS prefix and "/", then 1..63 of [A-Za-z0-9-_.]
// starting and ending alphanumeric.
bool valid_label_key(std::string_view key) {
    if (auto slash = key.rfind('/'); slash != std::string_view::npos) {
        if (slash == 0 || slash > 253) return false;
        key.remove_prefix(slash + 1);
    }
    if (key.empty() || key.size() > 63) return false;
    auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    return alnum(key.front()) && alnum(key.back()) &&
           std::all_of(key.begin(), key.end(),
                       [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool valid_env_name(std::string_view name) {
    auto head = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
    return !name.empty() && head(name.front()) &&
           std::all_of(name.begin(), name.end(), [&](char c) {
               return head(c) || std::isdigit(static_cast<unsigned char>(c));
           });
}

// POSIX-ish user and group names as Debian's adduser accepts them.
bool valid_account_name(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    if (!(std::islower(static_cast<unsigned char>(name.front())) || name.front() == '_'))
        return false;
    if (name.back() == '$') name.remove_suffix(1);
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

std::string name_rule_text(const std::string& where, const std::string& name) {
    return where + ": '" + name +
           "' is not a valid name (1-63 characters of a-z, 0-9 and '-', starting and ending "
           "with a letter or digit)";
}

void parse_metadata(Context& ctx, const yaml::Node& node, ParsedDocument& doc) {
    MapReader map(ctx, node, "metadata", {"name", "labels"});
    if (!map) return;
    map.require("name");
    Metadata& meta = doc.workload.metadata;
    if (const yaml::Node* name = map.find("name")) {
        auto text = read_text(ctx, *name, "metadata.name");
        doc.name_mark = ctx.mark(*name);
        if (text && !valid_workload_name(*text)) {
            ctx.error(*name, "name-format", name_rule_text("metadata.name", *text));
        } else if (text) {
            meta.name = *text;
            doc.named = true;
        }
    }
    if (const yaml::Node* labels = map.find("labels")) {
        if (!labels->IsMap()) {
            ctx.error(*labels, "wrong-type",
                      "metadata.labels: expected a map, got " + describe_type(*labels));
            return;
        }
        SeenKeys seen;
        for (auto it = labels->begin(); it != labels->end(); ++it) {
            auto key = read_text(ctx, it->first, "metadata.labels");
            if (!key) continue;
            std::string where = "metadata.labels." + *key;
            if (!valid_label_key(*key))
                ctx.error(it->first, "label-format",
                          where +
                              ": not a valid label key (1-63 of A-Z, a-z, 0-9, '-', '_', "
                              "'.', alphanumeric at both ends, optional 'prefix/')");
            else
                seen.add(ctx, it->first, "metadata.labels");
            auto value = read_text(ctx, it->second, where);
            if (value && value->size() > 63)
                ctx.error(it->second, "label-format",
                          where + ": a label value has at most 63 characters");
            else if (value)
                meta.labels.emplace(*key, *value);
        }
    }
}

void parse_command(Context& ctx, const MapReader& spec, WorkloadSpec& out) {
    const yaml::Node* node = spec.find("command");
    if (node == nullptr) {
        ctx.error(spec.mark(), "command",
                  "spec.command is required: the program and its arguments, e.g. "
                  "[\"/usr/bin/sleep\", \"60\"]");
        return;
    }
    auto command = read_text_list(ctx, *node, "spec.command");
    if (!command) return;
    if (command->empty()) {
        ctx.error(*node, "command", "spec.command: must not be empty");
    } else if (!command->front().starts_with('/')) {
        ctx.error((*node)[0], "command",
                  "spec.command[0]: '" + command->front() +
                      "' is not an absolute path (no PATH search is done)");
    } else {
        out.command = std::move(*command);
    }
}

void parse_env(Context& ctx, const yaml::Node& node, WorkloadSpec& out) {
    if (!node.IsMap()) {
        ctx.error(node, "wrong-type", "spec.env: expected a map, got " + describe_type(node));
        return;
    }
    SeenKeys seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
        auto key = read_text(ctx, it->first, "spec.env");
        if (!key) continue;
        std::string where = "spec.env." + *key;
        if (!valid_env_name(*key)) {
            ctx.error(it->first, "env-name",
                      where + ": not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
            continue;
        }
        if (!seen.add(ctx, it->first, "spec.env")) continue;
        auto value = read_text(ctx, it->second, where);
        if (value) out.env.emplace(*key, std::move(*value));
    }
}

// A uid/gid: a number (not 4294967295, which means "no id" to the kernel) or an account name.
std::optional<IdRef> read_id(Context& ctx, const yaml::Node& node, const std::string& where) {
    auto text = read_text(ctx, node, where);
    if (!text) return std::nullopt;
    if (!text->empty() && (std::isdigit(static_cast<unsigned char>(text->front())) ||
                           text->front() == '-' || text->front() == '+')) {
        auto id = read_uint(ctx, node, where, 0, UINT32_MAX - 1);
        if (!id) return std::nullopt;
        return IdRef{static_cast<std::uint32_t>(*id), ""};
    }
    if (!valid_account_name(*text)) {
        ctx.error(node, "user-name",
                  where + ": '" + *text + "' is neither an id nor a valid user or group name");
        return std::nullopt;
    }
    return IdRef{std::nullopt, *text};
}

void parse_user(Context& ctx, const yaml::Node& node, User& out) {
    MapReader map(ctx, node, "spec.user", {"uid", "gid", "groups"});
    if (!map) return;
    if (const yaml::Node* uid = map.find("uid"))
        if (auto id = read_id(ctx, *uid, "spec.user.uid")) out.uid = *id;
    if (const yaml::Node* gid = map.find("gid"))
        if (auto id = read_id(ctx, *gid, "spec.user.gid")) out.gid = *id;
    if (const yaml::Node* groups = map.find("groups");
        groups && expect_list(ctx, *groups, "spec.user.groups")) {
        for (std::size_t i = 0; i < groups->size(); ++i)
            if (auto id = read_id(ctx, (*groups)[i], "spec.user.groups[" + std::to_string(i) + "]"))
                out.groups.push_back(*id);
    }
}

void parse_restart(Context& ctx, const yaml::Node& node, Restart& out) {
    static constexpr std::array<Choice<RestartPolicy>, 3> policies{
        {{"always", RestartPolicy::always},
         {"on-failure", RestartPolicy::on_failure},
         {"never", RestartPolicy::never}}};
    MapReader map(ctx, node, "spec.restart", {"policy", "backoff"});
    if (!map) return;
    map.choice("policy", out.policy, std::span<const Choice<RestartPolicy>>(policies));
    const yaml::Node* backoff_node = map.find("backoff");
    if (backoff_node == nullptr) return;
    MapReader backoff(ctx, *backoff_node, "spec.restart.backoff", {"initial", "max"});
    if (!backoff) return;
    bool initial = backoff.duration("initial", out.backoff.initial, Duration{1});
    bool max = backoff.duration("max", out.backoff.max, Duration{1});
    if ((initial || max) && out.backoff.initial > out.backoff.max)
        ctx.error(max ? backoff.key_mark("max") : backoff.key_mark("initial"), "backoff-order",
                  "spec.restart.backoff: initial (" + std::to_string(out.backoff.initial.count()) +
                      "ms) is longer than max (" + std::to_string(out.backoff.max.count()) + "ms)");
}

void parse_depends_on(Context& ctx, const yaml::Node& node, ParsedDocument& doc) {
    static constexpr std::array<Choice<DependencyCondition>, 3> conditions{
        {{"started", DependencyCondition::started},
         {"healthy", DependencyCondition::healthy},
         {"completed", DependencyCondition::completed}}};
    if (!expect_list(ctx, node, "spec.dependsOn")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
        std::string where = "spec.dependsOn[" + std::to_string(i) + "]";
        MapReader map(ctx, node[i], where, {"name", "condition"});
        if (!map || !map.require("name")) continue;
        Dependency dep;
        map.choice("condition", dep.condition,
                   std::span<const Choice<DependencyCondition>>(conditions));
        if (!map.text("name", dep.name)) continue;
        const yaml::Node& name = *map.find("name");
        if (!valid_workload_name(dep.name)) {
            ctx.error(name, "name-format", name_rule_text(where + ".name", dep.name));
            continue;
        }
        if (doc.named && dep.name == doc.workload.metadata.name) {
            ctx.error(name, "self-dependency", where + ": '" + dep.name + "' depends on itself");
            continue;
        }
        auto& deps = doc.workload.spec.depends_on;
        if (std::any_of(deps.begin(), deps.end(),
                        [&](const Dependency& d) { return d.name == dep.name; })) {
            ctx.error(name, "duplicate-dependency", where + ": '" + dep.name + "' is listed twice");
            continue;
        }
        deps.push_back(dep);
        doc.dependency_marks.push_back(ctx.mark(name));
    }
}

void parse_logs(Context& ctx, const yaml::Node& node, Logs& out) {
    MapReader map(ctx, node, "spec.logs", {"maxSize", "maxFiles"});
    if (!map) return;
    map.bytes("maxSize", out.max_size, 4096);
    map.number("maxFiles", out.max_files, 1, 1000);
}

// "TERM", "SIGTERM" or "sigterm"; real-time signals as "RTMIN+3".
std::optional<int> signal_number(std::string_view text) {
    std::string name;
    for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG")) name.erase(0, 3);
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = ::sigabbrev_np(sig);
        if (abbrev != nullptr && name == abbrev) return sig;
    }
    if (name.starts_with("RTMIN+")) {
        int offset = std::atoi(name.c_str() + 6);
        if (offset > 0 && SIGRTMIN + offset <= SIGRTMAX) return SIGRTMIN + offset;
    }
    return std::nullopt;
}

void parse_stop(Context& ctx, const MapReader& spec, WorkloadSpec& out) {
    spec.duration("stopTimeout", out.stop_timeout, Duration{0});
    const yaml::Node* node = spec.find("stopSignal");
    if (node == nullptr) return;
    auto text = read_text(ctx, *node, "spec.stopSignal");
    if (!text) return;
    if (auto sig = signal_number(*text)) {
        out.stop_signal = *sig;
        return;
    }
    ctx.error(*node, "signal-name",
              "spec.stopSignal: '" + *text + "' is not a signal name (e.g. TERM, INT, QUIT, HUP)");
}

bool id_mapped(const std::vector<IdMap>& map, std::uint32_t id) {
    return std::any_of(map.begin(), map.end(), [&](const IdMap& m) {
        return id >= m.inside && std::uint64_t{id} < std::uint64_t{m.inside} + m.count;
    });
}

// In a user namespace with explicit maps, a numeric uid/gid that no range maps cannot be
// switched to (setuid fails with EINVAL): say so now rather than at start. Names are resolved
// at start, so only numbers are checked here.
void check_ids_mapped(Context& ctx, const yaml::Node& user, const WorkloadSpec& spec) {
    const Isolation& iso = spec.isolation;
    if (std::find(iso.namespaces.begin(), iso.namespaces.end(), Namespace::user) ==
            iso.namespaces.end() ||
        !user.IsMap())
        return;
    auto check = [&](const yaml::Node& node, const std::optional<std::uint32_t>& id,
                     const std::vector<IdMap>& map, const std::string& where, const char* map_key) {
        if (id && !map.empty() && !id_mapped(map, *id))
            ctx.error(
                node, "id-unmapped",
                where + ": " + std::to_string(*id) + " is not mapped by spec.isolation." + map_key);
    };
    if (user["uid"]) check(user["uid"], spec.user.uid.id, iso.uid_map, "spec.user.uid", "uidMap");
    if (user["gid"] && spec.user.gid)
        check(user["gid"], spec.user.gid->id, iso.gid_map, "spec.user.gid", "gidMap");
    const yaml::Node groups = user["groups"];
    if (!groups || !groups.IsSequence() || groups.size() != spec.user.groups.size()) return;
    for (std::size_t i = 0; i < groups.size(); ++i)
        check(groups[i], spec.user.groups[i].id, iso.gid_map,
              "spec.user.groups[" + std::to_string(i) + "]", "gidMap");
}

void parse_spec(Context& ctx, const yaml::Node& node, ParsedDocument& doc) {
    MapReader spec(ctx, node, "spec",
                   {"command", "env", "workingDir", "user", "restart", "dependsOn", "health",
                    "resources", "isolation", "logs", "stopSignal", "stopTimeout"});
    if (!spec) return;
    WorkloadSpec& out = doc.workload.spec;
    parse_command(ctx, spec, out);
    if (const yaml::Node* env = spec.find("env")) parse_env(ctx, *env, out);
    spec.path("workingDir", out.working_dir);
    if (const yaml::Node* user = spec.find("user")) parse_user(ctx, *user, out.user);
    if (const yaml::Node* restart = spec.find("restart")) parse_restart(ctx, *restart, out.restart);
    if (const yaml::Node* deps = spec.find("dependsOn")) parse_depends_on(ctx, *deps, doc);
    if (const yaml::Node* health = spec.find("health"))
        parse_health(ctx, *health, "spec.health", out.health);
    if (const yaml::Node* resources = spec.find("resources"))
        parse_resources(ctx, *resources, "spec.resources", out.resources);
    if (const yaml::Node* isolation = spec.find("isolation"))
        parse_isolation(ctx, *isolation, "spec.isolation", out.isolation);
    if (const yaml::Node* logs = spec.find("logs")) parse_logs(ctx, *logs, out.logs);
    parse_stop(ctx, spec, out);
    if (const yaml::Node* user = spec.find("user")) check_ids_mapped(ctx, *user, out);
}

}  // namespace

bool valid_workload_name(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    if (!lower_alnum(name.front()) || !lower_alnum(name.back())) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

ParsedDocument parse_workload(Context& ctx, const yaml::Node& document) {
    ParsedDocument doc;
    std::size_t errors_before = ctx.error_count();
    doc.workload.source = ctx.mark(document);
    ctx.set_fallback(doc.workload.source);
    MapReader top(ctx, document, "", {"apiVersion", "kind", "metadata", "spec"});
    if (top) {
        for (std::string_view key : {"apiVersion", "kind", "metadata", "spec"}) top.require(key);
        check_header(ctx, top, "Workload");
        // metadata first: dependsOn compares against the name.
        if (const yaml::Node* metadata = top.find("metadata")) parse_metadata(ctx, *metadata, doc);
        if (const yaml::Node* spec = top.find("spec")) parse_spec(ctx, *spec, doc);
    }
    doc.valid = ctx.error_count() == errors_before;
    return doc;
}

}  // namespace edgevisor::manifests::detail
