// `edgectl validate` run as a real process: what a user or a CI script sees.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgevisor/unique_fd.hpp"

namespace {

struct Outcome {
    int code = -1;
    std::string out;
    std::string err;
};

std::string read_all(int fd) {
    std::string text;
    ::lseek(fd, 0, SEEK_SET);
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    return text;
}

// Runs edgectl with stdout and stderr captured in memory files.
Outcome run_edgectl(std::vector<std::string> args) {
    edgevisor::UniqueFd out(::memfd_create("edgectl-out", MFD_CLOEXEC));
    edgevisor::UniqueFd err(::memfd_create("edgectl-err", MFD_CLOEXEC));
    REQUIRE((out && err));
    args.insert(args.begin(), EDGEVISOR_EDGECTL);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out.get(), STDOUT_FILENO);
        ::dup2(err.get(), STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return Outcome{WEXITSTATUS(status), read_all(out.get()), read_all(err.get())};
}

class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "edgectl-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path_ / name) << text;
        return (path_ / name).string();
    }
    [[nodiscard]] std::string path() const { return path_.string(); }

  private:
    std::filesystem::path path_;
};

std::string workload(const std::string& name, const std::string& extra = "") {
    return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + name +
           "\nspec:\n  command: [/usr/bin/sleep, \"60\"]\n" + extra;
}

const std::string kExamples = std::string(EDGEVISOR_SOURCE_DIR) + "/examples";

}  // namespace

TEST_CASE("edgectl validate: examples/ is valid, one summary line on stdout, exit 0") {
    auto result = run_edgectl({"validate", kExamples});
    INFO(result.err);
    CHECK(result.code == 0);
    CHECK(result.err.empty());
    CHECK_THAT(result.out, Catch::Matches("ok: [0-9]+ workloads in [0-9]+ files\n"));
}

TEST_CASE("edgectl validate: counts workloads and files") {
    TempDir dir;
    dir.write("a.yaml", workload("a") + "---\n" + workload("b"));
    dir.write("b.yml", workload("c"));
    auto result = run_edgectl({"validate", dir.path()});
    CHECK(result.code == 0);
    CHECK(result.out == "ok: 3 workloads in 2 files\n");
    auto single = run_edgectl({"validate", dir.path() + "/b.yml"});
    CHECK(single.out == "ok: 1 workload in 1 file\n");
}

TEST_CASE(
    "edgectl validate: every error as file:line:col with message and rule on stderr, exit 1") {
    TempDir dir;
    auto file = dir.write("bad.yaml", workload("Bad",
                                               "  isolation:\n    rootfs: {readOnlyRot: true}\n"
                                               "  resources: {memory: {max: 1e30}}\n"));
    auto result = run_edgectl({"validate", file});
    CHECK(result.code == 1);
    CHECK(result.out.empty());
    CHECK(result.err ==
          file +
              ":4:9: metadata.name: 'Bad' is not a valid name (1-63 characters of a-z, 0-9 "
              "and '-', starting and ending with a letter or digit) [name-format]\n" +
              file +
              ":8:14: unknown key 'readOnlyRot' in spec.isolation.rootfs (expected: path, "
              "readOnly); did you mean 'readOnly'? [unknown-key]\n" +
              file +
              ":9:29: spec.resources.memory.max: '1e30' is not a size (e.g. 4096, 64Mi, "
              "1G): exponent notation is not supported [invalid-size]\n"
              "invalid: 3 errors in 1 file\n");
}

TEST_CASE("edgectl validate: errors across files (cycle, unknown dependency)") {
    TempDir dir;
    dir.write("a.yaml", workload("a", "  dependsOn: [{name: b}]\n"));
    dir.write("b.yaml", workload("b", "  dependsOn: [{name: a}, {name: nobody}]\n"));
    auto result = run_edgectl({"validate", dir.path()});
    CHECK(result.code == 1);
    CHECK_THAT(result.err, Catch::Contains("b.yaml:7:33: spec.dependsOn: 'nobody' is not a known "
                                           "workload [unknown-dependency]"));
    CHECK_THAT(result.err, Catch::Contains("a.yaml:7:22: dependency cycle: a -> b -> a "
                                           "[dependency-cycle]"));
}

TEST_CASE("edgectl validate: an unreadable path exits 2 and still checks the rest") {
    TempDir dir;
    auto bad = dir.write("bad.yaml", workload("x", "  workingDir: rel\n"));
    auto result = run_edgectl({"validate", dir.path() + "/missing.yaml", bad});
    CHECK(result.code == 2);
    CHECK_THAT(result.err, Catch::Contains("missing.yaml: cannot read: No such file or directory "
                                           "[file-unreadable]"));
    CHECK_THAT(result.err, Catch::Contains("bad.yaml:7:15:"));
}

TEST_CASE("edgectl validate: hostile input ends quickly with an error") {
    TempDir dir;
    auto deep = dir.write("deep.yaml", std::string(100000, '['));
    auto result = run_edgectl({"validate", deep});
    CHECK(result.code == 1);
    CHECK_THAT(result.err, Catch::Contains("deep.yaml:1:64: nesting deeper than 64 levels "
                                           "[nesting-depth]"));
}

TEST_CASE("edgectl validate: no path is a usage error") {
    auto result = run_edgectl({"validate"});
    CHECK(result.code != 0);
    CHECK_THAT(result.err, Catch::Contains("paths is required"));
}

TEST_CASE(
    "edgectl validate: leaving out the pid namespace is valid, with a warning that says why") {
    TempDir dir;
    auto file =
        dir.write("open.yaml", workload("open", "  isolation: {namespaces: [mount, net]}\n"));
    auto result = run_edgectl({"validate", file});
    CHECK(result.code == 0);
    CHECK(result.out == "ok: 1 workload in 1 file\n");
    CHECK_THAT(result.err,
               Catch::Contains(file + ":1:1: warning: open: isolation.namespaces: without 'pid' "
                                      "the workload sees every host process"));
    CHECK_THAT(result.err, Catch::Contains(file + ":1:1: warning: open: isolation.namespaces: "
                                                  "without 'user', uid 0 inside is the host's "
                                                  "root"));
}

TEST_CASE("edgectl validate: mapping inside 0 to host 0 is valid, with a warning") {
    TempDir dir;
    auto file = dir.write("root.yaml", workload("root",
                                                "  isolation:\n    uidMap: [{inside: 0, "
                                                "outside: 0, count: 65536}]\n"));
    auto result = run_edgectl({"validate", file});
    CHECK(result.code == 0);
    CHECK(result.err == file +
                            ":1:1: warning: root: isolation.uidMap: inside 0 maps to host uid 0, "
                            "so root inside is the host's root (the mounts stay locked, the "
                            "host's files do not)\n");
}

TEST_CASE("edgectl validate: mounts without the mount namespace are refused, as run would") {
    TempDir dir;
    auto file = dir.write("app.yaml", workload("app",
                                               "  isolation:\n"
                                               "    namespaces: [pid, net]\n"
                                               "    mounts: [{type: tmpfs, target: /tmp}]\n"));
    auto result = run_edgectl({"validate", file});
    CHECK(result.code == 1);
    CHECK(result.err == file +
                            ":9:5: spec.isolation.mounts: needs the 'mount' namespace in "
                            "isolation.namespaces [namespace-required]\n"
                            "invalid: 1 error in 1 file\n");
}

TEST_CASE("edgectl validate --explain: each workload's isolation in words on stdout, after ok") {
    TempDir dir;
    auto file = dir.write("two.yaml", workload("safe") + "---\n" +
                                          workload("open",
                                                   "  isolation: {namespaces: [mount, "
                                                   "pid, net]}\n"));
    auto result = run_edgectl({"validate", "--explain", file});
    CHECK(result.code == 0);
    CHECK(result.out.starts_with("ok: 2 workloads in 1 file\n\nsafe (" + file +
                                 ":1:1):\n  user: uid 0"));
    CHECK_THAT(result.out, Catch::Contains("\nopen (" + file + ":8:1):\n"));
    CHECK_THAT(result.out, Catch::Contains("  ids: a user namespace with a host id range of its "
                                           "own from the node's idPool"));
    CHECK_THAT(result.out, Catch::Contains("  ids: no user namespace: uid 0 inside IS the "
                                           "host's root"));
    CHECK_THAT(result.out, Catch::Contains("  warning: isolation.namespaces: without 'user'"));
    // Without --explain: the summary alone.
    CHECK(run_edgectl({"validate", file}).out == "ok: 2 workloads in 1 file\n");
}
