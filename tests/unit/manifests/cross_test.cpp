// Rules across documents and files: duplicate names, unknown dependencies, cycles; and how
// load_paths reads files and directories.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;
using edgevisor::testing::messages;
using edgevisor::testing::parse;
using edgevisor::testing::TempDir;
using edgevisor::testing::where_rules;
using edgevisor::testing::workload;
using Rules = std::vector<std::string>;

TEST_CASE("duplicate names across files point at the second and name the first") {
    TempDir dir;
    auto a = dir.write("a.yaml", workload("web"));
    dir.write("b.yaml", "# another\n" + workload("web"));
    auto result = load_paths({dir.path()});
    REQUIRE(result.diagnostics.size() == 1);
    const Diagnostic& d = result.diagnostics[0];
    CHECK(d.rule == "duplicate-name");
    CHECK(d.mark.file == (dir.path() / "b.yaml").string());
    CHECK(d.mark.line == 5);
    CHECK(d.mark.column == 9);
    CHECK_THAT(d.message, Catch::Contains("first defined at " + a.string() + ":4:9"));
    CHECK(result.files == 2);
    CHECK(result.workloads.size() == 1);
}

TEST_CASE("duplicate names within one file") {
    auto result = parse(workload("web") + "---\n" + workload("web"));
    CHECK(where_rules(result) == Rules{"11:9 duplicate-name"});
}

TEST_CASE("unknown dependencies across files, with a suggestion") {
    TempDir dir;
    dir.write("a.yaml", workload("broker-bridge"));
    dir.write("b.yaml", workload("sensor", {"broker-brige"}));
    auto result = load_paths({dir.path()});
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].format() ==
          (dir.path() / "b.yaml").string() +
              ":8:13: spec.dependsOn: 'broker-brige' is not a known workload; did you mean "
              "'broker-bridge'? [unknown-dependency]");
    REQUIRE(result.workloads.size() == 1);
    CHECK(result.workloads[0].metadata.name == "broker-bridge");
}

TEST_CASE("a dependency on a workload known across files is fine") {
    TempDir dir;
    dir.write("a.yaml", workload("sensor", {"broker"}));
    dir.write("b.yml", workload("broker"));
    dir.write("notes.txt", "not a manifest");
    auto result = load_paths({dir.path()});
    INFO(messages(result));
    CHECK(result.ok());
    CHECK(result.files == 2);
    CHECK(result.workloads.size() == 2);
}

TEST_CASE("a cycle across files is named in full, once, at its first edge") {
    TempDir dir;
    dir.write("1.yaml", workload("a", {"b"}));
    dir.write("2.yaml", workload("b", {"c"}) + "---\n" + workload("c", {"a"}));
    dir.write("3.yaml", workload("d", {"a"}));
    auto result = load_paths({dir.path()});
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].format() ==
          (dir.path() / "1.yaml").string() +
              ":8:13: dependency cycle: a -> b -> c -> a [dependency-cycle]");
    // The members of the cycle are refused; d, which only depends on it, is not.
    REQUIRE(result.workloads.size() == 1);
    CHECK(result.workloads[0].metadata.name == "d");
}

TEST_CASE("two separate cycles are both reported") {
    auto result = parse(workload("a", {"b"}) + "---\n" + workload("b", {"a"}) + "---\n" +
                        workload("x", {"y"}) + "---\n" + workload("y", {"x"}));
    CHECK(where_rules(result) == Rules{"8:13 dependency-cycle", "26:13 dependency-cycle"});
    CHECK_THAT(messages(result), Catch::Contains("x -> y -> x"));
}

TEST_CASE("a dependency on a document that failed is not also reported as unknown") {
    auto result = parse(workload("a", {"b"}) + "---\n" + workload("b") + "  workingDir: rel\n");
    CHECK(where_rules(result) == Rules{"16:15 path-format"});
}

TEST_CASE("unreadable paths, and the same file named twice") {
    TempDir dir;
    auto file = dir.write("a.yaml", workload("a"));
    auto result = load_paths({file, dir.path(), dir.path() / "missing.yaml"});
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].rule == "file-unreadable");
    CHECK_THAT(result.diagnostics[0].format(), Catch::Contains("missing.yaml: cannot read") &&
                                                   Catch::Contains("No such file or directory"));
    CHECK(result.files == 1);
    CHECK(result.workloads.size() == 1);
}

TEST_CASE("running one workload on its own ignores dependencies outside the loaded set") {
    auto text = workload("sensor", {"broker"});
    CHECK(where_rules(parse(text)) == Rules{"8:13 unknown-dependency"});
    auto alone = parse_text(text, "t.yaml", {}, Dependencies::ignore);
    CHECK(alone.ok());
    CHECK(alone.workloads.size() == 1);
    // Cycles among the loaded workloads are still errors.
    auto cycle = parse_text(workload("a", {"b"}) + "---\n" + workload("b", {"a"}), "t.yaml", {},
                            Dependencies::ignore);
    CHECK(where_rules(cycle) == Rules{"8:13 dependency-cycle"});
    TempDir dir;
    auto file = dir.write("s.yaml", text);
    CHECK(load_paths({file}, {}, Dependencies::ignore).ok());
}

TEST_CASE("a FIFO or device is refused without blocking") {
    TempDir dir;
    auto fifo = dir.path() / "pipe.yaml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto result = load_paths({fifo, "/dev/zero"});
    CHECK(where_rules(result) == Rules{"0:0 file-unreadable", "0:0 file-unreadable"});
    CHECK_THAT(messages(result), Catch::Contains("pipe.yaml: not a regular file"));
    // A directory of manifests skips such entries silently: only regular *.yaml files count.
    CHECK(load_paths({dir.path()}).ok());
}
