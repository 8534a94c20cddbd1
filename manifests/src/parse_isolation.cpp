// spec.isolation (except seccomp): namespaces, network, hostname, rootfs, mounts,
// capabilities, noNewPrivileges, uid/gid maps and rlimits, with the rules that tie them
// together (network: none needs net, hostname needs uts, id maps need user).
#include <algorithm>
#include <array>
#include <cctype>

#include "edgevisor/manifests/capability_names.hpp"
#include "numbers.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

constexpr std::array<Choice<Namespace>, 7> kNamespaces{{{"pid", Namespace::pid},
                                                        {"mount", Namespace::mount},
                                                        {"ipc", Namespace::ipc},
                                                        {"uts", Namespace::uts},
                                                        {"net", Namespace::net},
                                                        {"cgroup", Namespace::cgroup},
                                                        {"user", Namespace::user}}};

// Sorted, so that the parsed list is in name order.
constexpr std::array<std::string_view, 16> kRlimitNames{
    "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
    "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};

// Up to 340 lines: the kernel's limit for uid_map/gid_map since 4.15.
constexpr std::size_t kMaxIdMapLines = 340;

bool has_namespace(const Isolation& isolation, Namespace ns) {
    return std::find(isolation.namespaces.begin(), isolation.namespaces.end(), ns) !=
           isolation.namespaces.end();
}

// RFC 1123 host names: dot-separated labels of [A-Za-z0-9-], at most 64 bytes (HOST_NAME_MAX).
bool valid_hostname(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = std::min(name.find('.', start), name.size());
        std::string_view label = name.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        for (char c : label)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        start = end + 1;
    }
    return true;
}

void parse_namespaces(Context& ctx, const yaml::Node& node, const std::string& where,
                      Isolation& out) {
    if (!expect_list(ctx, node, where)) return;
    std::vector<Namespace> namespaces;
    for (std::size_t i = 0; i < node.size(); ++i) {
        std::string item = where + "[" + std::to_string(i) + "]";
        auto ns = read_choice(ctx, node[i], item, std::span<const Choice<Namespace>>(kNamespaces));
        if (!ns) continue;
        if (std::find(namespaces.begin(), namespaces.end(), *ns) != namespaces.end())
            ctx.error(node[i], "duplicate-namespace",
                      item + ": '" + node[i].Scalar() + "' is listed twice");
        else
            namespaces.push_back(*ns);
    }
    std::sort(namespaces.begin(), namespaces.end());
    out.namespaces = std::move(namespaces);
}

// "/a/b", not "/a/./b", "/a//b" or "/a/" (the launcher opens each target component by
// component beneath the root; ".." is refused as a path-format error before this).
bool is_normalised(std::string_view path) {
    if (path.size() > 1 && path.ends_with('/')) return false;
    for (std::size_t start = 1; start < path.size();) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view component = path.substr(start, end - start);
        if (component.empty() || component == ".") return false;
        start = end + 1;
    }
    return true;
}

void parse_rootfs(Context& ctx, const yaml::Node& node, const std::string& where, Rootfs& out) {
    MapReader map(ctx, node, where, {"path", "readOnly"});
    if (!map) return;
    map.path("path", out.path);
    map.flag("readOnly", out.read_only);
}

void parse_mount(Context& ctx, const yaml::Node& node, const std::string& where, Mount& out) {
    static constexpr std::array<Choice<MountType>, 2> types{
        {{"bind", MountType::bind}, {"tmpfs", MountType::tmpfs}}};
    MapReader map(ctx, node, where, {"type", "source", "target", "readOnly", "size", "mode"});
    if (!map) return;
    // An unknown type: which other keys belong is unknown too, so judge only the target.
    bool type_known =
        map.choice("type", out.type, std::span<const Choice<MountType>>(types)) || !map.has("type");
    map.require("target");
    if (map.path("target", out.target) && out.target == "/")
        ctx.error(*map.find("target"), "path-format",
                  map.at("target") + ": cannot mount over '/'; use isolation.rootfs");
    else if (!out.target.empty() && !is_normalised(out.target))
        ctx.error(*map.find("target"), "path-format",
                  map.at("target") + ": '" + out.target +
                      "' is not a normalised path (no '.' or empty components, no trailing '/')");
    if (!type_known) return;
    if (out.type == MountType::bind) {
        if (map.require("source")) map.path("source", out.source);
        for (std::string_view key : {"size", "mode"})
            if (map.has(key))
                ctx.error(map.key_mark(key), "mount-option",
                          map.at(key) + ": only a tmpfs mount takes '" + std::string(key) + "'");
    } else {
        out.read_only = false;  // a read-only empty tmpfs is rarely what anyone wants
        if (map.has("source"))
            ctx.error(map.key_mark("source"), "mount-option",
                      map.at("source") + ": a tmpfs mount has no source");
        map.bytes("size", out.size, 4096);
        if (const yaml::Node* mode = map.find("mode")) {
            auto text = read_text(ctx, *mode, map.at("mode"));
            auto bits = text ? parse_octal(*text, 07777) : Result<std::uint64_t>(0);
            if (text && bits)
                out.mode = static_cast<std::uint32_t>(*bits);
            else if (text)
                ctx.error(*mode, "invalid-value", map.at("mode") + ": " + bits.error().message);
        }
    }
    map.flag("readOnly", out.read_only);
}

void parse_mounts(Context& ctx, const yaml::Node& node, const std::string& where, Isolation& out) {
    if (!expect_list(ctx, node, where)) return;
    std::vector<SourceMark> target_marks;
    for (std::size_t i = 0; i < node.size(); ++i) {
        std::string item = where + "[" + std::to_string(i) + "]";
        Mount mount;
        std::size_t errors_before = ctx.error_count();
        parse_mount(ctx, node[i], item, mount);
        if (ctx.error_count() != errors_before) continue;
        auto same = std::find_if(out.mounts.begin(), out.mounts.end(),
                                 [&](const Mount& m) { return m.target == mount.target; });
        if (same != out.mounts.end()) {
            const SourceMark& first =
                target_marks[static_cast<std::size_t>(same - out.mounts.begin())];
            ctx.error(node[i]["target"], "duplicate-mount-target",
                      item + ".target: '" + mount.target + "' is already mounted (line " +
                          std::to_string(first.line) + ")");
            continue;
        }
        out.mounts.push_back(std::move(mount));
        target_marks.push_back(ctx.mark(node[i]["target"]));
    }
}

void parse_capabilities(Context& ctx, const yaml::Node& node, const std::string& where,
                        Capabilities& out) {
    MapReader map(ctx, node, where, {"add"});
    if (!map) return;
    const yaml::Node* add = map.find("add");
    if (add == nullptr || !expect_list(ctx, *add, map.at("add"))) return;
    for (std::size_t i = 0; i < add->size(); ++i) {
        std::string item = map.at("add") + "[" + std::to_string(i) + "]";
        auto name = read_text(ctx, (*add)[i], item);
        if (!name) continue;
        auto number = capability_number(*name);
        if (!number) {
            std::string upper = *name;
            for (char& c : upper)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            std::string why;
            if (upper == "ALL" || upper == "CAP_ALL")
                why = "ALL is not allowed: list each capability the program needs";
            else if (capability_number(upper))
                why = "capability names are upper case: " + upper;
            else if (std::string hint = did_you_mean(upper, capability_names()); !hint.empty())
                why = "unknown capability; did you mean " + hint + "?";
            else
                why = "unknown capability (e.g. NET_BIND_SERVICE or CAP_NET_BIND_SERVICE)";
            ctx.error((*add)[i], "capability-name", item + ": '" + *name + "': " + why);
            continue;
        }
        Capability cap{*number, std::string(*capability_name(*number))};
        if (std::find(out.add.begin(), out.add.end(), cap) == out.add.end()) out.add.push_back(cap);
    }
    std::sort(out.add.begin(), out.add.end(),
              [](const Capability& a, const Capability& b) { return a.number < b.number; });
}

void parse_id_map(Context& ctx, const yaml::Node& node, const std::string& where,
                  std::vector<IdMap>& out) {
    if (!expect_list(ctx, node, where)) return;
    if (node.size() > kMaxIdMapLines)
        ctx.error(node, "out-of-range", where + ": at most 340 ranges (the kernel's limit)");
    for (std::size_t i = 0; i < node.size() && i < kMaxIdMapLines; ++i) {
        std::string item = where + "[" + std::to_string(i) + "]";
        MapReader map(ctx, node[i], item, {"inside", "outside", "count"});
        if (!map) continue;
        IdMap range;
        bool ok = map.require("inside") & map.require("outside");
        ok = map.number("inside", range.inside, 0, UINT32_MAX - 1) && ok;
        ok = map.number("outside", range.outside, 0, UINT32_MAX - 1) && ok;
        if (map.has("count")) ok = map.number("count", range.count, 1, UINT32_MAX) && ok;
        if (!ok) continue;
        // The kernel refuses ranges that wrap past 2^32 - 1.
        if (std::uint64_t{range.inside} + range.count > UINT32_MAX ||
            std::uint64_t{range.outside} + range.count > UINT32_MAX) {
            ctx.error(map.key_mark("count"), "out-of-range",
                      item + ": the range passes 4294967295");
            continue;
        }
        // The kernel refuses a map whose ranges overlap, inside or outside.
        auto overlaps = [](std::uint64_t a, std::uint64_t b, std::uint64_t count_a,
                           std::uint64_t count_b) { return a < b + count_b && b < a + count_a; };
        auto clash = std::find_if(out.begin(), out.end(), [&](const IdMap& other) {
            return overlaps(range.inside, other.inside, range.count, other.count) ||
                   overlaps(range.outside, other.outside, range.count, other.count);
        });
        if (clash != out.end()) {
            ctx.error(node[i], "id-map-overlap",
                      item + ": overlaps " + where + "[" + std::to_string(clash - out.begin()) +
                          "] (ranges may not overlap inside or outside)");
            continue;
        }
        out.push_back(range);
    }
    // The launcher sets the workload up as root inside the namespace before it drops to the
    // manifest's user, so id 0 must have a mapping.
    bool maps_root =
        std::any_of(out.begin(), out.end(), [](const IdMap& m) { return m.inside == 0; });
    if (!out.empty() && !maps_root)
        ctx.error(
            node, "id-map-root",
            where + ": must map inside id 0 (e.g. {inside: 0, outside: 100000, count: 65536})");
}

std::optional<std::uint64_t> read_rlimit_value(Context& ctx, const yaml::Node& node,
                                               const std::string& where) {
    if (node.IsScalar() && node.Scalar() == "unlimited") return UINT64_MAX;
    return read_uint(ctx, node, where, 0, UINT64_MAX - 1);
}

bool read_rlimit_field(Context& ctx, const MapReader& pair, std::string_view key,
                       std::uint64_t& out) {
    const yaml::Node* node = pair.find(key);
    if (node == nullptr) return false;
    auto value = read_rlimit_value(ctx, *node, pair.at(key));
    if (value) out = *value;
    return value.has_value();
}

void parse_rlimits(Context& ctx, const yaml::Node& node, const std::string& where,
                   std::vector<Rlimit>& out) {
    MapReader map(ctx, node, where,
                  {"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                   "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"});
    if (!map) return;
    for (std::string_view name : kRlimitNames) {
        const yaml::Node* value = map.find(name);
        if (value == nullptr) continue;
        Rlimit limit{std::string(name), 0, 0};
        if (value->IsMap()) {  // {soft, hard}
            MapReader pair(ctx, *value, map.at(name), {"soft", "hard"});
            bool ok = pair.require("soft") & pair.require("hard");
            ok = read_rlimit_field(ctx, pair, "soft", limit.soft) && ok;
            ok = read_rlimit_field(ctx, pair, "hard", limit.hard) && ok;
            if (!ok) continue;
            if (limit.soft > limit.hard) {
                ctx.error(*value, "rlimit-order", map.at(name) + ": soft is above hard");
                continue;
            }
        } else {  // one value: soft = hard
            auto both = read_rlimit_value(ctx, *value, map.at(name));
            if (!both) continue;
            limit.soft = limit.hard = *both;
        }
        out.push_back(std::move(limit));
    }
}

// The rules between fields, checked once every field is read.
void check_namespace_needs(Context& ctx, const MapReader& map, const Isolation& out) {
    if (out.network == NetworkMode::none && !has_namespace(out, Namespace::net))
        ctx.error(map.has("network") ? map.key_mark("network") : map.key_mark("namespaces"),
                  "namespace-required",
                  map.at("network") + ": none needs the 'net' namespace in isolation.namespaces");
    if (out.network == NetworkMode::host && has_namespace(out, Namespace::net))
        ctx.error(map.key_mark("network"), "namespace-conflict",
                  map.at("network") +
                      ": host shares the host's network; remove 'net' from "
                      "isolation.namespaces");
    if (out.hostname && !has_namespace(out, Namespace::uts))
        ctx.error(map.key_mark("hostname"), "namespace-required",
                  map.at("hostname") + ": needs the 'uts' namespace in isolation.namespaces");
    if (out.init && !has_namespace(out, Namespace::pid))
        ctx.error(map.key_mark("init"), "namespace-required",
                  map.at("init") + ": needs the 'pid' namespace in isolation.namespaces");
    // The launcher builds a root filesystem and mounts only in a mount namespace of its own.
    if (!has_namespace(out, Namespace::mount)) {
        if (out.rootfs.path != "/")
            ctx.error(map.key_mark("rootfs"), "namespace-required",
                      map.at("rootfs") +
                          ": a root filesystem other than '/' needs the 'mount' "
                          "namespace in isolation.namespaces");
        if (!out.mounts.empty())
            ctx.error(map.key_mark("mounts"), "namespace-required",
                      map.at("mounts") + ": needs the 'mount' namespace in isolation.namespaces");
    }
    for (std::string_view key : {"uidMap", "gidMap"})
        if (map.has(key) && !has_namespace(out, Namespace::user))
            ctx.error(map.key_mark(key), "namespace-required",
                      map.at(key) + ": needs the 'user' namespace in isolation.namespaces");
}

}  // namespace

void parse_isolation(Context& ctx, const yaml::Node& node, const std::string& where,
                     Isolation& out) {
    static constexpr std::array<Choice<NetworkMode>, 2> networks{
        {{"host", NetworkMode::host}, {"none", NetworkMode::none}}};
    MapReader map(ctx, node, where,
                  {"namespaces", "network", "hostname", "rootfs", "mounts", "capabilities",
                   "seccomp", "noNewPrivileges", "init", "uidMap", "gidMap", "rlimits"});
    if (!map) return;
    std::size_t errors_before = ctx.error_count();
    if (const yaml::Node* ns = map.find("namespaces"))
        parse_namespaces(ctx, *ns, map.at("namespaces"), out);
    map.choice("network", out.network, std::span<const Choice<NetworkMode>>(networks));
    // network: host with the default namespace list means "the defaults, without net".
    if (out.network == NetworkMode::host && !map.has("namespaces"))
        std::erase(out.namespaces, Namespace::net);
    // Combinations are judged only on a namespace list and network that were read correctly.
    bool namespaces_known = ctx.error_count() == errors_before;
    if (map.text("hostname", out.hostname) && !valid_hostname(*out.hostname)) {
        ctx.error(*map.find("hostname"), "hostname-format",
                  map.at("hostname") + ": '" + *out.hostname + "' is not a valid host name");
        out.hostname.reset();
    }
    if (const yaml::Node* rootfs = map.find("rootfs"))
        parse_rootfs(ctx, *rootfs, map.at("rootfs"), out.rootfs);
    if (const yaml::Node* mounts = map.find("mounts"))
        parse_mounts(ctx, *mounts, map.at("mounts"), out);
    if (const yaml::Node* caps = map.find("capabilities"))
        parse_capabilities(ctx, *caps, map.at("capabilities"), out.capabilities);
    if (const yaml::Node* seccomp = map.find("seccomp"))
        parse_seccomp(ctx, *seccomp, map.at("seccomp"), out.seccomp);
    map.flag("noNewPrivileges", out.no_new_privileges);
    map.flag("init", out.init);
    if (const yaml::Node* uids = map.find("uidMap"))
        parse_id_map(ctx, *uids, map.at("uidMap"), out.uid_map);
    if (const yaml::Node* gids = map.find("gidMap"))
        parse_id_map(ctx, *gids, map.at("gidMap"), out.gid_map);
    if (const yaml::Node* rlimits = map.find("rlimits"))
        parse_rlimits(ctx, *rlimits, map.at("rlimits"), out.rlimits);
    if (namespaces_known) check_namespace_needs(ctx, map, out);
}

}  // namespace edgevisor::manifests::detail
