// spec.isolation.seccomp: a profile name, an OCI JSON file, or custom rules. Syscall names are
// checked for shape here; the isolation layer resolves them with libseccomp for the running
// architecture (a name can exist on one architecture and not on another).
#include <algorithm>
#include <array>
#include <cerrno>

#include "numbers.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

struct ErrnoName {
    std::string_view name;
    int value;
};

// The errno values a policy commonly returns; any other is written as a number.
constexpr std::array<ErrnoName, 26> kErrnoNames{{
    {"EPERM", EPERM},
    {"ENOENT", ENOENT},
    {"ESRCH", ESRCH},
    {"EINTR", EINTR},
    {"EIO", EIO},
    {"ENXIO", ENXIO},
    {"E2BIG", E2BIG},
    {"EBADF", EBADF},
    {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM},
    {"EACCES", EACCES},
    {"EFAULT", EFAULT},
    {"EBUSY", EBUSY},
    {"EEXIST", EEXIST},
    {"EXDEV", EXDEV},
    {"ENODEV", ENODEV},
    {"ENOTDIR", ENOTDIR},
    {"EINVAL", EINVAL},
    {"ENOSPC", ENOSPC},
    {"EROFS", EROFS},
    {"ENOSYS", ENOSYS},
    {"ENOTSUP", ENOTSUP},
    {"EOPNOTSUPP", EOPNOTSUPP},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"ECONNREFUSED", ECONNREFUSED},
    {"ETIMEDOUT", ETIMEDOUT},
}};

constexpr int kMaxErrno = 4095;  // SECCOMP_RET_DATA is wider, but errno values end here

constexpr std::array<Choice<SeccompActionKind>, 5> kActions{
    {{"allow", SeccompActionKind::allow},
     {"log", SeccompActionKind::log},
     {"kill-process", SeccompActionKind::kill_process},
     {"kill-thread", SeccompActionKind::kill_thread},
     {"trap", SeccompActionKind::trap}}};

std::optional<SeccompAction> read_action(Context& ctx, const yaml::Node& node,
                                         const std::string& where) {
    if (node.IsMap()) {  // {errno: EPERM} or {errno: 1}
        MapReader map(ctx, node, where, {"errno"});
        if (!map || !map.require("errno")) return std::nullopt;
        auto text = read_text(ctx, *map.find("errno"), map.at("errno"));
        if (!text) return std::nullopt;
        for (const ErrnoName& known : kErrnoNames)
            if (known.name == *text)
                return SeccompAction{SeccompActionKind::errno_code, known.value};
        if (text->starts_with('E')) {
            ctx.error(*map.find("errno"), "seccomp-action",
                      map.at("errno") + ": unknown errno name '" + *text + "' (use a number)");
            return std::nullopt;
        }
        auto number = read_uint(ctx, *map.find("errno"), map.at("errno"), 0, kMaxErrno);
        if (!number) return std::nullopt;
        return SeccompAction{SeccompActionKind::errno_code, static_cast<int>(*number)};
    }
    if (node.IsScalar() && node.Scalar() == "errno") {
        ctx.error(node, "seccomp-action", where + ": write errno as {errno: EPERM}");
        return std::nullopt;
    }
    auto kind = read_choice(ctx, node, where, std::span<const Choice<SeccompActionKind>>(kActions));
    if (!kind) return std::nullopt;
    return SeccompAction{*kind, 0};
}

bool valid_syscall_shape(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// Argument values: decimal or 0x-prefixed hexadecimal (masks read better in hex).
std::optional<std::uint64_t> read_arg_value(Context& ctx, const yaml::Node& node,
                                            const std::string& where) {
    if (node.IsScalar() && (node.Scalar().starts_with("0x") || node.Scalar().starts_with("0X"))) {
        std::string_view digits = std::string_view(node.Scalar()).substr(2);
        std::uint64_t value = 0;
        bool ok = !digits.empty() && digits.size() <= 16;
        for (char c : digits) {
            int d = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            ok = ok && d >= 0;
            value = value * 16 + static_cast<unsigned>(d < 0 ? 0 : d);
        }
        if (ok) return value;
        ctx.error(node, "invalid-value",
                  where + ": '" + node.Scalar() + "' is not a 64-bit hexadecimal number");
        return std::nullopt;
    }
    return read_uint(ctx, node, where, 0, UINT64_MAX);
}

std::optional<SeccompArg> read_arg(Context& ctx, const yaml::Node& node, const std::string& where) {
    static constexpr std::array<Choice<SeccompOp>, 7> ops{{{"eq", SeccompOp::eq},
                                                           {"ne", SeccompOp::ne},
                                                           {"lt", SeccompOp::lt},
                                                           {"le", SeccompOp::le},
                                                           {"gt", SeccompOp::gt},
                                                           {"ge", SeccompOp::ge},
                                                           {"masked_eq", SeccompOp::masked_eq}}};
    MapReader map(ctx, node, where, {"index", "op", "value", "valueTwo"});
    if (!map) return std::nullopt;
    std::size_t errors_before = ctx.error_count();
    SeccompArg arg;
    map.require("index");
    map.require("value");
    map.number("index", arg.index, 0, 5);
    map.choice("op", arg.op, std::span<const Choice<SeccompOp>>(ops));
    if (const yaml::Node* value = map.find("value"))
        if (auto v = read_arg_value(ctx, *value, map.at("value"))) arg.value = *v;
    if (arg.op == SeccompOp::masked_eq && map.require("valueTwo")) {
        if (auto v = read_arg_value(ctx, *map.find("valueTwo"), map.at("valueTwo")))
            arg.value_two = *v;
    } else if (arg.op != SeccompOp::masked_eq && map.has("valueTwo")) {
        ctx.error(map.key_mark("valueTwo"), "seccomp-arg",
                  map.at("valueTwo") + ": only op masked_eq takes valueTwo");
    }
    if (ctx.error_count() != errors_before) return std::nullopt;
    return arg;
}

void parse_rule(Context& ctx, const yaml::Node& node, const std::string& where, Seccomp& out) {
    MapReader map(ctx, node, where, {"names", "action", "args"});
    if (!map) return;
    std::size_t errors_before = ctx.error_count();
    SeccompRule rule;
    map.require("names");
    map.require("action");
    if (const yaml::Node* names = map.find("names")) {
        if (auto list = read_text_list(ctx, *names, map.at("names"))) {
            if (list->empty())
                ctx.error(*names, "syscall-name", map.at("names") + ": must not be empty");
            for (std::size_t i = 0; i < list->size(); ++i)
                if (!valid_syscall_shape((*list)[i]))
                    ctx.error((*names)[i], "syscall-name",
                              map.at("names") + "[" + std::to_string(i) + "]: '" + (*list)[i] +
                                  "' is not a syscall name ([a-z0-9_]+)");
            rule.names = std::move(*list);
        }
    }
    if (const yaml::Node* action = map.find("action"))
        if (auto a = read_action(ctx, *action, map.at("action"))) rule.action = *a;
    if (const yaml::Node* args = map.find("args");
        args && expect_list(ctx, *args, map.at("args"))) {
        if (args->size() > 6)
            ctx.error(*args, "seccomp-arg", map.at("args") + ": at most 6 conditions");
        for (std::size_t i = 0; i < args->size(); ++i) {
            std::string item = map.at("args") + "[" + std::to_string(i) + "]";
            auto arg = read_arg(ctx, (*args)[i], item);
            if (!arg) continue;
            // libseccomp 2.5 refuses a second comparison of the same argument in one rule.
            bool repeated = std::any_of(rule.args.begin(), rule.args.end(),
                                        [&](const SeccompArg& a) { return a.index == arg->index; });
            if (repeated)
                ctx.error((*args)[i], "seccomp-arg",
                          item + ": argument " + std::to_string(arg->index) +
                              " is already compared in this rule (one comparison per argument; "
                              "write a second rule)");
            else
                rule.args.push_back(*arg);
        }
    }
    if (ctx.error_count() == errors_before) out.rules.push_back(std::move(rule));
}

}  // namespace

void parse_seccomp(Context& ctx, const yaml::Node& node, const std::string& where, Seccomp& out) {
    static constexpr std::array<Choice<SeccompProfile>, 4> profiles{
        {{"default", SeccompProfile::default_profile},
         {"unconfined", SeccompProfile::unconfined},
         {"custom", SeccompProfile::custom},
         {"file", SeccompProfile::file}}};
    MapReader map(ctx, node, where, {"profile", "path", "defaultAction", "rules"});
    if (!map) return;
    if (!map.choice("profile", out.profile, std::span<const Choice<SeccompProfile>>(profiles)) &&
        map.has("profile"))
        return;  // an unknown profile: which keys belong is unknown too
    const std::string profile = map.has("profile") ? map.find("profile")->Scalar() : "default";
    auto reject = [&](std::string_view key, std::string_view belongs) {
        if (map.has(key))
            ctx.error(map.key_mark(key), "seccomp-profile",
                      map.at(key) + ": profile '" + profile + "' takes no " + std::string(key) +
                          " (only profile " + std::string(belongs) + " does)");
    };
    if (out.profile != SeccompProfile::file) reject("path", "file");
    if (out.profile != SeccompProfile::custom) {
        reject("defaultAction", "custom");
        reject("rules", "custom");
    }
    if (out.profile == SeccompProfile::file) {
        if (!map.has("path"))
            ctx.error(map.mark(), "seccomp-profile",
                      where + ": profile 'file' needs path (an absolute path to a JSON profile)");
        map.path("path", out.path);
        return;
    }
    if (out.profile != SeccompProfile::custom) return;
    if (const yaml::Node* action = map.find("defaultAction"))
        if (auto a = read_action(ctx, *action, map.at("defaultAction"))) out.default_action = *a;
    const yaml::Node* rules = map.find("rules");
    if (rules == nullptr) {
        ctx.error(map.mark(), "seccomp-profile", where + ": profile 'custom' needs rules");
        return;
    }
    if (!expect_list(ctx, *rules, map.at("rules"))) return;
    if (rules->size() == 0)
        ctx.error(*rules, "seccomp-profile",
                  map.at("rules") + ": profile 'custom' needs at least one rule");
    for (std::size_t i = 0; i < rules->size(); ++i)
        parse_rule(ctx, (*rules)[i], map.at("rules") + "[" + std::to_string(i) + "]", out);
}

}  // namespace edgevisor::manifests::detail
