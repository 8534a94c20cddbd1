// The isolation rules: paths, mounts, capabilities, seccomp, namespaces and their
// combinations, id maps and rlimits, each with its exact position and rule id.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using edgevisor::testing::kHead;
using edgevisor::testing::messages;
using edgevisor::testing::parse;
using edgevisor::testing::where_rules;
using Rules = std::vector<std::string>;

namespace {

// One line "  isolation: <body>" on line 7; body starts at column 14.
std::string iso(const std::string& body) {
    return kHead + "  isolation: " + body + "\n";
}

// Line 7 "  isolation:", line 8 "    mounts:", then one mount per line from line 9 at column 7.
std::string mounts(const std::vector<std::string>& items) {
    std::string text = kHead + "  isolation:\n    mounts:\n";
    for (const auto& item : items) text += "    - " + item + "\n";
    return text;
}

}  // namespace

TEST_CASE("rootfs and mount paths are absolute, without '..'") {
    CHECK(where_rules(iso("{rootfs: {path: srv/root}}")) == Rules{"7:30 path-format"});
    CHECK(where_rules(iso("{rootfs: {path: /srv/../etc}}")) == Rules{"7:30 path-format"});
    // "    - {type: bind, source: " is 27 characters: values start at column 28.
    CHECK(where_rules(mounts({"{type: bind, source: etc/hosts, target: /etc/hosts}"})) ==
          Rules{"9:28 path-format"});
    CHECK(where_rules(mounts({"{type: bind, source: /etc/hosts, target: etc/hosts}"})) ==
          Rules{"9:48 path-format"});
    CHECK(where_rules(mounts({"{type: bind, source: /etc/../root, target: /r}"})) ==
          Rules{"9:28 path-format"});
    CHECK(where_rules(mounts({"{type: tmpfs, target: /}"})) == Rules{"9:29 path-format"});
}

TEST_CASE("mount options fit the mount type") {
    CHECK(where_rules(mounts({"{type: bind, target: /x}"})) == Rules{"9:7 missing-key"});
    CHECK(where_rules(mounts({"{type: tmpfs, source: /x, target: /x}"})) ==
          Rules{"9:21 mount-option"});
    CHECK(where_rules(mounts({"{type: bind, source: /x, target: /x, size: 1Mi}"})) ==
          Rules{"9:44 mount-option"});
    CHECK(where_rules(mounts({"{type: tmpfs, target: /x, size: 0}"})) ==
          Rules{"9:39 out-of-range"});
    CHECK(where_rules(mounts({"{type: tmpfs, target: /x, mode: 9}"})) ==
          Rules{"9:39 invalid-value"});
    CHECK(where_rules(mounts({"{type: overlay, target: /x}"})) == Rules{"9:14 invalid-value"});
    CHECK(where_rules(mounts({"{type: bind, source: /x, target: /x, readOnly: maybe}"})) ==
          Rules{"9:54 wrong-type"});
}

TEST_CASE("two mounts on one target are an error naming the first") {
    auto result = parse(mounts({"{type: tmpfs, target: /tmp}", "{type: tmpfs, target: /run}",
                                "{type: bind, source: /srv, target: /tmp}"}));
    CHECK(where_rules(result) == Rules{"11:42 duplicate-mount-target"});
    CHECK_THAT(messages(result), Catch::Contains("'/tmp' is already mounted (line 9)"));
}

TEST_CASE("capabilities: with or without CAP_, upper case, never ALL or unknown") {
    CHECK(where_rules(iso("{capabilities: {add: [NET_BIND_SERVICE, CAP_SYS_TIME, BPF]}}")).empty());
    // "  isolation: {capabilities: {add: [" is 35 characters.
    auto lower = parse(iso("{capabilities: {add: [net_bind_service]}}"));
    CHECK(where_rules(lower) == Rules{"7:36 capability-name"});
    CHECK_THAT(messages(lower),
               Catch::Contains("capabilities.add[0]: 'net_bind_service': "
                               "capability names are upper case: NET_BIND_SERVICE"));
    auto all = parse(iso("{capabilities: {add: [CHOWN, ALL]}}"));
    CHECK(where_rules(all) == Rules{"7:43 capability-name"});
    CHECK_THAT(messages(all), Catch::Contains("'ALL': ALL is not allowed"));
    auto typo = parse(iso("{capabilities: {add: [CAP_NET_BIND_SERVIC]}}"));
    CHECK_THAT(messages(typo), Catch::Contains("did you mean CAP_NET_BIND_SERVICE?"));
    auto unknown = parse(iso("{capabilities: {add: [FLY]}}"));
    CHECK(where_rules(unknown) == Rules{"7:36 capability-name"});
    CHECK_THAT(messages(unknown), Catch::Contains("'FLY': unknown capability"));
    CHECK(where_rules(iso("{capabilities: {drop: [CHOWN]}}")) == Rules{"7:30 unknown-key"});
}

TEST_CASE("seccomp: which keys each profile takes") {
    // "  isolation: {seccomp: {" is 23 characters.
    CHECK(where_rules(iso("{seccomp: {profile: custom}}")) == Rules{"7:24 seccomp-profile"});
    CHECK(where_rules(iso("{seccomp: {profile: custom, rules: []}}")) ==
          Rules{"7:49 seccomp-profile"});
    CHECK(where_rules(iso("{seccomp: {profile: file}}")) == Rules{"7:24 seccomp-profile"});
    CHECK(where_rules(iso("{seccomp: {profile: file, path: profile.json}}")) ==
          Rules{"7:46 path-format"});
    CHECK(where_rules(
              iso("{seccomp: {profile: default, rules: [{names: [read], action: allow}]}}")) ==
          Rules{"7:43 seccomp-profile"});
    CHECK(where_rules(iso("{seccomp: {defaultAction: allow}}")) == Rules{"7:25 seccomp-profile"});
    CHECK(where_rules(iso("{seccomp: {profile: unconfined, path: /x.json}}")) ==
          Rules{"7:46 seccomp-profile"});
    CHECK(where_rules(iso("{seccomp: {profile: strict}}")) == Rules{"7:34 invalid-value"});
}

TEST_CASE("seccomp rules: syscall name shape, actions, argument conditions") {
    auto rule = [](const std::string& body) {
        return kHead +
               "  isolation:\n"
               "    seccomp:\n"
               "      profile: custom\n"
               "      rules:\n"
               "        - " +
               body + "\n";
    };
    // The rule's map starts at line 11, column 11.
    CHECK(where_rules(rule("{names: [read], action: {errno: EPERM}}")).empty());
    CHECK(where_rules(rule("{names: [read], action: {errno: 38}}")).empty());
    CHECK(where_rules(rule("{names: [read], action: kill-thread}")).empty());
    CHECK(where_rules(rule("{names: [Read], action: allow}")) == Rules{"11:20 syscall-name"});
    CHECK(where_rules(rule("{names: [\"open at\"], action: allow}")) ==
          Rules{"11:20 syscall-name"});
    CHECK(where_rules(rule("{names: [], action: allow}")) == Rules{"11:19 syscall-name"});
    CHECK(where_rules(rule("{names: [read]}")) == Rules{"11:11 missing-key"});
    CHECK(where_rules(rule("{names: [read], action: deny}")) == Rules{"11:35 invalid-value"});
    CHECK(where_rules(rule("{names: [read], action: errno}")) == Rules{"11:35 seccomp-action"});
    CHECK(where_rules(rule("{names: [read], action: {errno: EWHAT}}")) ==
          Rules{"11:43 seccomp-action"});
    CHECK(where_rules(rule("{names: [read], action: {errno: 4096}}")) ==
          Rules{"11:43 out-of-range"});
    CHECK(where_rules(rule("{names: [read], action: allow, args: [{index: 6, value: 1}]}")) ==
          Rules{"11:57 out-of-range"});
    CHECK(where_rules(rule("{names: [read], action: allow, args: [{index: 0, value: 1, "
                           "valueTwo: 2}]}")) == Rules{"11:70 seccomp-arg"});
    CHECK(where_rules(rule("{names: [read], action: allow, args: [{index: 0, op: masked_eq, "
                           "value: 1}]}")) == Rules{"11:49 missing-key"});
    CHECK(where_rules(rule("{names: [read], action: allow, args: [{index: 0, op: like, "
                           "value: 1}]}")) == Rules{"11:64 invalid-value"});
    CHECK(where_rules(rule("{names: [read], action: allow, args: [{index: 0, value: 1}, "
                           "{index: 0, op: ne, value: 2}]}")) == Rules{"11:71 seccomp-arg"});
    CHECK(where_rules(rule("{names: [read], action: allow, args: [{index: 0, value: 0xZZ}]}")) ==
          Rules{"11:67 invalid-value"});
}

TEST_CASE("namespaces: known names, no repeats") {
    // "  isolation: {namespaces: [" is 27 characters.
    CHECK(where_rules(iso("{namespaces: [pid, mnt]}")) == Rules{"7:33 invalid-value"});
    CHECK(where_rules(iso("{namespaces: [pid, pid, net]}")) == Rules{"7:33 duplicate-namespace"});
    CHECK(where_rules(iso("{namespaces: pid}")) == Rules{"7:27 wrong-type"});
}

TEST_CASE("settings that need a namespace, or conflict with one") {
    // network: none (the default) needs net.
    CHECK(where_rules(iso("{namespaces: [pid]}")) == Rules{"7:15 namespace-required"});
    CHECK(where_rules(iso("{namespaces: [pid], network: none}")) ==
          Rules{"7:34 namespace-required"});
    CHECK(where_rules(iso("{namespaces: [pid, net], network: host}")) ==
          Rules{"7:39 namespace-conflict"});
    CHECK(where_rules(iso("{namespaces: [pid], network: host}")).empty());
    CHECK(where_rules(iso("{namespaces: [net], hostname: box}")) ==
          Rules{"7:34 namespace-required"});
    CHECK(where_rules(iso("{hostname: box}")).empty());
    CHECK(where_rules(iso("{hostname: -box}")) == Rules{"7:25 hostname-format"});
    CHECK(where_rules(iso("{uidMap: [{inside: 0, outside: 1000}]}")).empty());  // user: default
    CHECK(where_rules(iso("{namespaces: [pid, net], uidMap: [{inside: 0, outside: 1000}]}")) ==
          Rules{"7:39 namespace-required"});
    CHECK(where_rules(iso("{namespaces: [net, user], gidMap: [{inside: 0, outside: 1000}]}")) ==
          std::vector<std::string>{});
}

TEST_CASE("uid and gid maps: sizes and overflow") {
    auto maps = [](const std::string& map) {
        return iso("{namespaces: [net, user], uidMap: [" + map + "]}");
    };
    // "  isolation: {namespaces: [net, user], uidMap: [" is 48 characters.
    CHECK(where_rules(maps("{inside: 0, outside: 100000, count: 0}")) ==
          Rules{"7:85 out-of-range"});
    CHECK(where_rules(maps("{inside: 0, outside: 4294967290, count: 10}")) ==
          Rules{"7:82 out-of-range"});
    CHECK(where_rules(maps("{inside: 0}")) == Rules{"7:49 missing-key"});
    CHECK(where_rules(maps("{inside: 0, outside: 1000, count: 10}, {inside: 5, outside: 5000}")) ==
          Rules{"7:88 id-map-overlap"});
    CHECK(where_rules(maps("{inside: 0, outside: 1000, count: 10}, {inside: 20, outside: 1009}")) ==
          Rules{"7:88 id-map-overlap"});
    CHECK(where_rules(maps("{inside: 0, outside: 1000, count: 10}, {inside: 10, outside: 1010}"))
              .empty());
    CHECK(where_rules(maps("{inside: 1000, outside: 100000}")) == Rules{"7:48 id-map-root"});
}

TEST_CASE("numeric user ids must be mapped when a user namespace has explicit maps") {
    const std::string iso_user =
        "  isolation:\n"
        "    namespaces: [user, net]\n"
        "    uidMap: [{inside: 0, outside: 100000, count: 1000}]\n"
        "    gidMap: [{inside: 0, outside: 100000, count: 1000}]\n";
    CHECK(
        where_rules(kHead + "  user: {uid: 999, gid: 0, groups: [5, audio]}\n" + iso_user).empty());
    CHECK(where_rules(kHead + "  user: {uid: 1000, gid: 2000, groups: [1, 1000]}\n" + iso_user) ==
          Rules{"7:15 id-unmapped", "7:26 id-unmapped", "7:44 id-unmapped"});
    // Without explicit maps the launcher's default applies; without user no maps at all.
    CHECK(where_rules(kHead + "  user: {uid: 5000}\n  isolation: {namespaces: [user, net]}\n")
              .empty());
}

TEST_CASE("rlimits: known names, soft <= hard, unlimited") {
    // "  isolation: {rlimits: {" is 24 characters.
    CHECK(where_rules(iso("{rlimits: {nofile: 1024, core: unlimited, nproc: {soft: 1, hard: 2}}}"))
              .empty());
    auto typo = parse(iso("{rlimits: {nofle: 1024}}"));
    CHECK(where_rules(typo) == Rules{"7:25 unknown-key"});
    CHECK_THAT(messages(typo), Catch::Contains("did you mean 'nofile'?"));
    CHECK(where_rules(iso("{rlimits: {nofile: {soft: 9, hard: 2}}}")) ==
          Rules{"7:33 rlimit-order"});
    CHECK(where_rules(iso("{rlimits: {nofile: -1}}")) == Rules{"7:33 invalid-value"});
    CHECK(where_rules(iso("{rlimits: {nofile: {soft: 1}}}")) == Rules{"7:33 missing-key"});
}

TEST_CASE("init: off by default, on when asked, only with the pid namespace") {
    auto plain = parse(iso("{}"));
    REQUIRE(plain.ok());
    CHECK_FALSE(plain.workloads[0].spec.isolation.init);
    auto with_init = parse(iso("{init: true}"));
    INFO(messages(with_init));
    REQUIRE(with_init.ok());
    CHECK(with_init.workloads[0].spec.isolation.init);
    CHECK(edgevisor::manifests::canonical_hash(with_init.workloads[0]) !=
          edgevisor::manifests::canonical_hash(plain.workloads[0]));
    CHECK(where_rules(iso("{namespaces: [mount, net], init: true}")) ==
          Rules{"7:41 namespace-required"});
}
