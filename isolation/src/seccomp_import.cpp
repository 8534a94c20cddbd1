// Import of OCI/Docker seccomp profiles (the JSON of `docker run --security-opt seccomp=...`
// and of an OCI runtime spec's linux.seccomp). Conditional entries (includes/excludes on
// capabilities, architectures, kernel version) are resolved here the way Docker resolves them,
// against the workload's granted capabilities and the running machine.
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "seccomp_policy.hpp"

namespace edgevisor::isolation::seccomp_detail {

namespace {

using manifests::SeccompAction;
using manifests::SeccompActionKind;
using manifests::SeccompOp;
using nlohmann::json;

Result<SeccompAction> parse_action(const std::string& name, int errno_ret) {
    if (name == "SCMP_ACT_ALLOW") return SeccompAction{SeccompActionKind::allow, 0};
    if (name == "SCMP_ACT_ERRNO") return SeccompAction{SeccompActionKind::errno_code, errno_ret};
    // SCMP_ACT_KILL is the historical name of kill-thread.
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") {
        return SeccompAction{SeccompActionKind::kill_thread, 0};
    }
    if (name == "SCMP_ACT_KILL_PROCESS") return SeccompAction{SeccompActionKind::kill_process, 0};
    if (name == "SCMP_ACT_TRAP") return SeccompAction{SeccompActionKind::trap, 0};
    if (name == "SCMP_ACT_LOG") return SeccompAction{SeccompActionKind::log, 0};
    return fail("seccomp",
                "unsupported action '" + name +
                    "' (supported: SCMP_ACT_ALLOW, ERRNO, KILL, KILL_PROCESS, "
                    "KILL_THREAD, TRAP, LOG)",
                EINVAL);
}

Result<SeccompOp> parse_op(const std::string& name) {
    static const std::pair<const char*, SeccompOp> kOps[] = {
        {"SCMP_CMP_NE", SeccompOp::ne},
        {"SCMP_CMP_LT", SeccompOp::lt},
        {"SCMP_CMP_LE", SeccompOp::le},
        {"SCMP_CMP_EQ", SeccompOp::eq},
        {"SCMP_CMP_GE", SeccompOp::ge},
        {"SCMP_CMP_GT", SeccompOp::gt},
        {"SCMP_CMP_MASKED_EQ", SeccompOp::masked_eq}};
    for (const auto& [text, op] : kOps) {
        if (name == text) return op;
    }
    return fail("seccomp", "unsupported argument operator '" + name + "'", EINVAL);
}

std::vector<std::string> strings(const json& object, const char* key) {
    std::vector<std::string> out;
    if (object.contains(key) && object[key].is_array()) {
        for (const auto& item : object[key]) out.push_back(item.get<std::string>());
    }
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// "4.8" -> {4, 8}; an unreadable version never matches.
bool kernel_at_least(const ImportContext& context, const std::string& version) {
    int major = 0, minor = 0;
    if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) < 1) return false;
    return std::pair{context.kernel_major, context.kernel_minor} >= std::pair{major, minor};
}

// Docker's rule: an entry applies when no exclude matches and every include matches;
// includes.caps means "all of these capabilities are granted".
bool entry_applies(const json& entry, const ImportContext& context) {
    const json empty = json::object();
    const json& inc =
        entry.contains("includes") && entry["includes"].is_object() ? entry["includes"] : empty;
    const json& exc =
        entry.contains("excludes") && entry["excludes"].is_object() ? entry["excludes"] : empty;
    if (contains(strings(exc, "arches"), context.go_arch)) return false;
    auto inc_arches = strings(inc, "arches");
    if (!inc_arches.empty() && !contains(inc_arches, context.go_arch)) return false;
    for (const auto& cap : strings(exc, "caps")) {
        if (contains(context.capabilities, cap)) return false;
    }
    for (const auto& cap : strings(inc, "caps")) {
        if (!contains(context.capabilities, cap)) return false;
    }
    if (exc.contains("minKernel") && kernel_at_least(context, exc["minKernel"])) return false;
    if (inc.contains("minKernel") && !kernel_at_least(context, inc["minKernel"])) return false;
    return true;
}

Result<manifests::SeccompArg> parse_arg(const json& arg) {
    manifests::SeccompArg out;
    out.index = arg.at("index").get<unsigned>();
    if (out.index > 5) {
        return fail("seccomp", "argument index " + std::to_string(out.index) + " > 5", EINVAL);
    }
    out.value = arg.value("value", std::uint64_t{0});
    out.value_two = arg.value("valueTwo", std::uint64_t{0});
    auto op = parse_op(arg.at("op").get<std::string>());
    if (!op) return std::unexpected(op.error());
    out.op = *op;
    return out;
}

// One entry may become several rules: libseccomp allows one comparison per argument in a
// rule, so entries comparing one argument twice are split into ORed rules (runc does the same).
Status add_entry(const json& entry, int default_errno, SeccompPolicy& policy) {
    manifests::SeccompRule rule;
    rule.names = strings(entry, "names");
    if (entry.contains("name")) rule.names.push_back(entry["name"].get<std::string>());
    auto action =
        parse_action(entry.at("action").get<std::string>(), entry.value("errnoRet", default_errno));
    if (!action) return std::unexpected(action.error());
    rule.action = *action;
    bool repeated = false;
    unsigned seen = 0;
    if (entry.contains("args") && entry["args"].is_array()) {
        for (const auto& arg : entry["args"]) {
            auto parsed = parse_arg(arg);
            if (!parsed) return std::unexpected(parsed.error());
            repeated = repeated || ((seen >> parsed->index) & 1U) != 0;
            seen |= 1U << parsed->index;
            rule.args.push_back(*parsed);
        }
    }
    if (!repeated) {
        policy.rules.push_back(std::move(rule));
        return {};
    }
    for (const auto& arg : rule.args) policy.rules.push_back({rule.names, rule.action, {arg}});
    return {};
}

std::string go_arch_name() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__i386__)
    return "386";
#else
    return "unknown";
#endif
}

}  // namespace

ImportContext current_import_context(const manifests::Capabilities& granted) {
    ImportContext context;
    for (const auto& cap : granted.add) context.capabilities.push_back(cap.name);
    context.go_arch = go_arch_name();
    utsname uts{};
    if (::uname(&uts) == 0) {
        std::sscanf(uts.release, "%d.%d", &context.kernel_major, &context.kernel_minor);
    }
    return context;
}

Result<SeccompPolicy> parse_oci_profile(std::string_view text, const ImportContext& context,
                                        const std::string& origin) {
    SeccompPolicy policy;
    policy.unknown_names_fatal = false;
    policy.origin = origin;
    try {
        const json doc = json::parse(text);
        const int default_errno = doc.value("defaultErrnoRet", EPERM);
        auto action = parse_action(doc.at("defaultAction").get<std::string>(), default_errno);
        if (!action) return std::unexpected(action.error().wrap(origin + ": defaultAction"));
        policy.default_action = *action;
        if (doc.contains("listenerPath") && !doc["listenerPath"].get<std::string>().empty()) {
            policy.warnings.push_back(origin + ": listenerPath is not supported; ignored");
        }
        if (!doc.contains("syscalls")) return policy;
        std::size_t index = 0;
        for (const auto& entry : doc.at("syscalls")) {
            ++index;
            if (!entry_applies(entry, context)) continue;
            if (auto s = add_entry(entry, default_errno, policy); !s) {
                return std::unexpected(
                    s.error().wrap(origin + ": syscalls[" + std::to_string(index - 1) + "]"));
            }
        }
    } catch (const nlohmann::json::exception& e) {
        return fail("seccomp", origin + ": not a valid seccomp profile: " + e.what(), EINVAL);
    }
    return policy;
}

Result<std::string> read_profile_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail_errno("seccomp", "cannot open seccomp profile " + path);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail_errno("seccomp", "cannot read seccomp profile " + path);
    return text.str();
}

Result<SeccompPolicy> import_profile_file(const std::string& path,
                                          const manifests::Capabilities& granted) {
    auto text = read_profile_file(path);
    if (!text) return std::unexpected(text.error());
    return parse_oci_profile(*text, current_import_context(granted), path);
}

}  // namespace edgevisor::isolation::seccomp_detail
