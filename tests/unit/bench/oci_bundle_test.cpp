#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "oci_bundle.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A temporary directory for one test, removed with its contents.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "bench-test.XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> names_in(const json& oci) {
    std::vector<std::string> names;
    for (const auto& rule : oci["syscalls"]) {
        for (const auto& name : rule["names"]) names.push_back(name.get<std::string>());
    }
    return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

using edgevisor::bench::kDockerArch;
using edgevisor::bench::kSeccompArch;

}  // namespace

TEST_CASE("Docker's profile format becomes OCI seccomp for a workload without caps", "[bench]") {
    TempDir dir;
    const json docker = {
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"defaultErrnoRet", 1},
        {"archMap",
         {{{"architecture", kSeccompArch}, {"subArchitectures", {"SUB_A", "SUB_B"}}},
          {{"architecture", "SCMP_ARCH_OTHER"}, {"subArchitectures", {"SUB_C"}}}}},
        {"syscalls",
         {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
          {{"names", {"ptrace"}},
           {"action", "SCMP_ACT_ALLOW"},
           {"includes", {{"minKernel", "4.8"}}}},
          {{"names", {"native_only"}},
           {"action", "SCMP_ACT_ALLOW"},
           {"includes", {{"arches", {kDockerArch}}}}},
          {{"names", {"other_arch_only"}},
           {"action", "SCMP_ACT_ALLOW"},
           {"includes", {{"arches", {"s390x"}}}}},
          {{"names", {"needs_cap"}},
           {"action", "SCMP_ACT_ALLOW"},
           {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}},
          {{"names", {"clone"}},
           {"action", "SCMP_ACT_ALLOW"},
           {"args", {{{"index", 0}, {"value", 2114060288}, {"op", "SCMP_CMP_MASKED_EQ"}}}},
           {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}, {"arches", {"s390x"}}}}},
          {{"names", {"clone3"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 38},
           {"excludes", {{"arches", {kDockerArch}}}}}}}};
    const auto path = dir.path / "docker.json";
    std::ofstream(path) << docker.dump();

    auto oci = edgevisor::bench::docker_profile_to_oci(path.string());
    REQUIRE(oci);
    CHECK((*oci)["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK((*oci)["defaultErrnoRet"] == 1);
    CHECK((*oci)["architectures"] == json({kSeccompArch, "SUB_A", "SUB_B"}));
    const auto names = names_in(*oci);
    CHECK(has(names, "read"));
    CHECK(has(names, "ptrace"));       // minKernel is not a reason to drop
    CHECK(has(names, "native_only"));  // included for this architecture
    CHECK(has(names, "clone"));        // excluded only for CAP_SYS_ADMIN, which we lack
    CHECK_FALSE(has(names, "other_arch_only"));
    CHECK_FALSE(has(names, "needs_cap"));
    CHECK_FALSE(has(names, "clone3"));  // excluded for this architecture
    for (const auto& rule : (*oci)["syscalls"]) {
        CHECK_FALSE(rule.contains("includes"));
        CHECK_FALSE(rule.contains("excludes"));
        if (rule["names"][0] == "clone") CHECK(rule["args"][0]["op"] == "SCMP_CMP_MASKED_EQ");
    }
}

TEST_CASE("a profile that is not JSON is an error naming the file", "[bench]") {
    TempDir dir;
    const auto path = dir.path / "broken.json";
    std::ofstream(path) << "{ not json";
    auto oci = edgevisor::bench::docker_profile_to_oci(path.string());
    REQUIRE_FALSE(oci);
    CHECK(oci.error().message.find(path.string()) != std::string::npos);
    CHECK_FALSE(edgevisor::bench::docker_profile_to_oci((dir.path / "absent.json").string()));
}

TEST_CASE("the OCI config isolates /bin/true like the edgectl manifest", "[bench]") {
    TempDir dir;
    const json seccomp = {{"defaultAction", "SCMP_ACT_ALLOW"}};
    REQUIRE(edgevisor::bench::write_oci_bundle(dir.path.string(), "/some/rootfs", seccomp));
    const json config = json::parse(std::ifstream(dir.path / "config.json"));

    CHECK(config["process"]["args"] == json({"/bin/true"}));
    CHECK(config["process"]["noNewPrivileges"] == true);
    CHECK(config["process"]["capabilities"].empty());
    CHECK(config["root"]["path"] == "/some/rootfs");
    CHECK(config["root"]["readonly"] == true);
    std::vector<std::string> namespaces;
    for (const auto& ns : config["linux"]["namespaces"]) namespaces.push_back(ns["type"]);
    std::sort(namespaces.begin(), namespaces.end());
    CHECK(namespaces == std::vector<std::string>{"ipc", "mount", "network", "pid", "uts"});
    std::map<std::string, std::string> mounts;
    for (const auto& m : config["mounts"]) mounts[m["destination"]] = m["type"];
    CHECK(mounts["/proc"] == "proc");
    CHECK(mounts["/dev"] == "tmpfs");
    CHECK(mounts["/tmp"] == "tmpfs");
    CHECK(config["linux"]["seccomp"] == seccomp);

    REQUIRE(edgevisor::bench::write_oci_bundle(dir.path.string(), "/r", std::nullopt));
    CHECK_FALSE(json::parse(std::ifstream(dir.path / "config.json"))["linux"].contains("seccomp"));
}
