// What a valid manifest turns into: every field, every default, multi-document files.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;
using edgevisor::testing::kHead;
using edgevisor::testing::messages;
using edgevisor::testing::parse;

TEST_CASE("a minimal manifest gets every default from spec.hpp") {
    auto result = parse(kHead);
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.workloads.size() == 1);
    const Workload& w = result.workloads[0];
    CHECK(w.metadata.name == "app");
    CHECK(w.source.file == "t.yaml");
    CHECK(w.source.line == 1);
    CHECK(w.spec.command == std::vector<std::string>{"/usr/bin/sleep", "60"});
    CHECK(w.spec.working_dir == "/");
    CHECK(w.spec.restart.policy == RestartPolicy::always);
    CHECK(w.spec.restart.backoff.initial == Duration{1000});
    CHECK(w.spec.isolation.namespaces ==
          std::vector<Namespace>{Namespace::pid, Namespace::mount, Namespace::ipc, Namespace::uts,
                                 Namespace::net, Namespace::cgroup, Namespace::user});
    CHECK(w.spec.isolation.network == NetworkMode::none);
    CHECK(w.spec.isolation.seccomp.profile == SeccompProfile::default_profile);
    CHECK(w.spec.isolation.no_new_privileges);
    CHECK(w.spec.isolation.rootfs.read_only);
    CHECK_FALSE(w.spec.resources.cpu.max_millicores);
    CHECK(w.spec.logs.max_size == 1024 * 1024);
}

TEST_CASE("every field of a full manifest lands in its struct member") {
    auto result = parse(R"(apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: sensor-reader
  labels: {app: sensors, example.com/tier: edge}
spec:
  command: ["/usr/bin/sensor", "--fast"]
  env: {LOG_LEVEL: info, PORT: 8080}
  workingDir: /var/lib/sensor
  user: {uid: 1000, gid: sensor, groups: [dialout, 0]}
  restart: {policy: on-failure, backoff: {initial: 500ms, max: 1m}}
  dependsOn: [{name: broker-bridge, condition: healthy}, {name: db}]
  health:
    liveness: {exec: ["/bin/true"], initialDelay: 2s, interval: 5s, timeout: 1s, failureThreshold: 4, successThreshold: 2}
    readiness: {http: {host: 127.0.0.2, port: 8080, path: /ready}}
  resources:
    cpu: {max: "0.5", period: 50ms, weight: 200}
    memory: {max: 64Mi, high: 48Mi, swapMax: 0}
    pids: {max: 64}
    io: {weight: 100, max: [{device: /dev/vda, rbps: 10Mi, wiops: 100}]}
    cpuset: {cpus: "0-1,3", mems: "0"}
  isolation:
    namespaces: [user, net, pid, mount, uts]
    network: none
    hostname: sensor.local
    rootfs: {path: /srv/rootfs, readOnly: false}
    mounts:
      - {type: bind, source: /etc/hosts, target: /etc/hosts}
      - {type: bind, source: /var/lib/sensor, target: /data, readOnly: false}
      - {type: tmpfs, target: /tmp, size: 16Mi, mode: 01777}
    capabilities: {add: [NET_BIND_SERVICE, CAP_CHOWN, NET_BIND_SERVICE]}
    seccomp:
      profile: custom
      defaultAction: {errno: EACCES}
      rules:
        - {names: [read, write], action: allow}
        - names: [ioctl]
          action: {errno: 25}
          args: [{index: 1, op: masked_eq, value: 0xff00, valueTwo: 0x5400}]
    noNewPrivileges: false
    uidMap: [{inside: 0, outside: 100000, count: 65536}]
    gidMap: [{inside: 0, outside: 100000}]
    rlimits: {nofile: {soft: 1024, hard: 4096}, core: 0, stack: unlimited}
  logs: {maxSize: 2Mi, maxFiles: 5}
---
)" + edgevisor::testing::workload("broker-bridge") +
                        "---\n" + edgevisor::testing::workload("db"));
    INFO(messages(result));
    REQUIRE(result.ok());
    const WorkloadSpec& s = result.workloads.at(0).spec;
    CHECK(result.workloads[0].metadata.labels.at("example.com/tier") == "edge");
    CHECK(s.env.at("PORT") == "8080");
    CHECK(s.working_dir == "/var/lib/sensor");
    CHECK(s.user.uid == IdRef{1000, ""});
    CHECK(s.user.gid == IdRef{std::nullopt, "sensor"});
    CHECK(s.user.groups == std::vector<IdRef>{{std::nullopt, "dialout"}, {0, ""}});
    CHECK(s.restart.policy == RestartPolicy::on_failure);
    CHECK(s.restart.backoff.initial == Duration{500});
    CHECK(s.restart.backoff.max == Duration{60000});
    REQUIRE(s.depends_on.size() == 2);
    CHECK(s.depends_on[0].condition == DependencyCondition::healthy);
    CHECK(s.depends_on[1].condition == DependencyCondition::started);

    REQUIRE(s.health.liveness);
    CHECK(s.health.liveness->kind == ProbeKind::exec);
    CHECK(s.health.liveness->initial_delay == Duration{2000});
    CHECK(s.health.liveness->failure_threshold == 4);
    CHECK(s.health.liveness->success_threshold == 2);
    REQUIRE(s.health.readiness);
    CHECK(s.health.readiness->kind == ProbeKind::http);
    CHECK(s.health.readiness->host == "127.0.0.2");
    CHECK(s.health.readiness->port == 8080);
    CHECK(s.health.readiness->path == "/ready");

    const Resources& r = s.resources;
    CHECK(r.cpu.max_millicores == 500u);
    CHECK(r.cpu.period_us == 50000u);
    CHECK(r.cpu.weight == 200u);
    CHECK(r.memory.max == 64ULL << 20);
    CHECK(r.memory.high == 48ULL << 20);
    CHECK(r.memory.swap_max == 0u);
    CHECK(r.pids.max == 64u);
    CHECK(r.io.weight == 100u);
    REQUIRE(r.io.max.size() == 1);
    CHECK(r.io.max[0].device == "/dev/vda");
    CHECK(r.io.max[0].rbps == 10ULL << 20);
    CHECK(r.io.max[0].wiops == 100u);
    CHECK_FALSE(r.io.max[0].wbps);
    CHECK(r.cpuset_cpus == "0-1,3");
    CHECK(r.cpuset_mems == "0");

    const Isolation& i = s.isolation;
    CHECK(i.namespaces == std::vector<Namespace>{Namespace::pid, Namespace::mount, Namespace::uts,
                                                 Namespace::net, Namespace::user});
    CHECK(i.hostname == "sensor.local");
    CHECK(i.rootfs.path == "/srv/rootfs");
    CHECK_FALSE(i.rootfs.read_only);
    REQUIRE(i.mounts.size() == 3);
    CHECK(i.mounts[0].read_only);
    CHECK_FALSE(i.mounts[1].read_only);
    CHECK(i.mounts[2].type == MountType::tmpfs);
    CHECK_FALSE(i.mounts[2].read_only);
    CHECK(i.mounts[2].size == 16ULL << 20);
    CHECK(i.mounts[2].mode == 01777u);
    CHECK(i.capabilities.add ==
          std::vector<Capability>{{0, "CAP_CHOWN"}, {10, "CAP_NET_BIND_SERVICE"}});
    CHECK(i.seccomp.profile == SeccompProfile::custom);
    CHECK(i.seccomp.default_action == SeccompAction{SeccompActionKind::errno_code, 13});
    REQUIRE(i.seccomp.rules.size() == 2);
    CHECK(i.seccomp.rules[0].action.kind == SeccompActionKind::allow);
    CHECK(i.seccomp.rules[1].action == SeccompAction{SeccompActionKind::errno_code, 25});
    REQUIRE(i.seccomp.rules[1].args.size() == 1);
    CHECK(i.seccomp.rules[1].args[0].op == SeccompOp::masked_eq);
    CHECK(i.seccomp.rules[1].args[0].value == 0xff00u);
    CHECK(i.seccomp.rules[1].args[0].value_two == 0x5400u);
    CHECK_FALSE(i.no_new_privileges);
    REQUIRE(i.uid_map.size() == 1);
    CHECK(i.uid_map[0].count == 65536u);
    CHECK(i.gid_map[0].count == 1u);
    REQUIRE(i.rlimits.size() == 3);
    CHECK(i.rlimits[0].name == "core");
    CHECK(i.rlimits[0].hard == 0u);
    CHECK(i.rlimits[1].name == "nofile");
    CHECK(i.rlimits[1].soft == 1024u);
    CHECK(i.rlimits[1].hard == 4096u);
    CHECK(i.rlimits[2].name == "stack");
    CHECK(i.rlimits[2].soft == UINT64_MAX);
    CHECK(s.logs.max_size == 2ULL << 20);
    CHECK(s.logs.max_files == 5u);
}

TEST_CASE("cpu max alone gets the kernel's default period, and cpuset as a string means cpus") {
    auto result = parse(kHead + "  resources: {cpu: {max: 500m}, cpuset: \"1\"}\n");
    REQUIRE(result.ok());
    CHECK(result.workloads[0].spec.resources.cpu.period_us == 100000u);
    CHECK(result.workloads[0].spec.resources.cpuset_cpus == "1");
}

TEST_CASE("network: host without a namespace list drops only net from the defaults") {
    auto result = parse(kHead + "  isolation: {network: host}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    CHECK(result.workloads[0].spec.isolation.namespaces ==
          std::vector<Namespace>{Namespace::pid, Namespace::mount, Namespace::ipc, Namespace::uts,
                                 Namespace::cgroup, Namespace::user});
}

TEST_CASE("seccomp profiles file and unconfined, and tcp probes") {
    auto result = parse(kHead +
                        "  isolation: {seccomp: {profile: file, path: /etc/edgevisor/app.json}}\n"
                        "  health: {readiness: {tcp: {port: 1883}}}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    const auto& spec = result.workloads[0].spec;
    CHECK(spec.isolation.seccomp.profile == SeccompProfile::file);
    CHECK(spec.isolation.seccomp.path == "/etc/edgevisor/app.json");
    CHECK(spec.health.readiness->kind == ProbeKind::tcp);
    CHECK(spec.health.readiness->host == "127.0.0.1");
    CHECK(spec.health.readiness->port == 1883);
    CHECK(parse(kHead + "  isolation: {seccomp: {profile: unconfined}}\n").ok());
}

TEST_CASE("several documents in one file, empty ones ignored, each with its own position") {
    auto result = parse(edgevisor::testing::workload("one") + "---\n" +
                        edgevisor::testing::workload("two") + "---\n# nothing here\n---\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.workloads.size() == 2);
    CHECK(result.workloads[0].metadata.name == "one");
    CHECK(result.workloads[1].metadata.name == "two");
    CHECK(result.workloads[1].source.line == 8);
}

TEST_CASE("a document with errors yields no workload, while the others in the file still do") {
    auto result = parse(edgevisor::testing::workload("good") + "---\n" +
                        edgevisor::testing::workload("Bad_Name"));
    CHECK_FALSE(result.ok());
    REQUIRE(result.workloads.size() == 1);
    CHECK(result.workloads[0].metadata.name == "good");
}

TEST_CASE("Diagnostic::format gives file:line:col: message and the rule") {
    Diagnostic d{SourceMark{"a.yaml", 3, 9}, "name-format", "metadata.name: bad"};
    CHECK(d.format() == "a.yaml:3:9: metadata.name: bad [name-format]");
    Diagnostic whole_file{SourceMark{"missing.yaml", 0, 0}, "file-unreadable", "cannot open"};
    CHECK(whole_file.format() == "missing.yaml: cannot open [file-unreadable]");
}
