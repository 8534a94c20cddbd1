// The YAML layer (yaml-cpp underneath, manifests/src/yaml_tree.hpp) as a manifest author meets
// it: null forms, quoting, anchors and aliases, several documents, and what is refused.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using Rules = std::vector<std::string>;

TEST_CASE("yaml: ~, null and an empty value are empty values, a quoted \"null\" is text") {
    for (const char* empty : {"~", "null", "Null", "NULL", ""}) {
        auto result = parse(kHead + "  workingDir: " + empty + "\n");
        INFO(empty << ": " << messages(result));
        // Nothing written: the mark is where the value would start, right after the colon.
        const char* where = *empty == '\0' ? "7:14 wrong-type" : "7:15 wrong-type";
        CHECK(where_rules(result) == Rules{where});
        CHECK_THAT(messages(result), Catch::Contains("got an empty value"));
    }
    auto quoted = parse(kHead + "  env: {A: \"null\", B: '~', C: \"\"}\n");
    INFO(messages(quoted));
    REQUIRE(quoted.ok());
    CHECK(quoted.workloads[0].spec.env ==
          std::map<std::string, std::string>{{"A", "null"}, {"B", "~"}, {"C", ""}});
}

TEST_CASE("yaml: an alias is its anchor's value, in block and flow style") {
    auto result = parse(kHead +
                        "  env:\n"
                        "    A: &greeting hello world\n"
                        "    B: *greeting\n"
                        "  isolation:\n"
                        "    mounts:\n"
                        "      - &tmp {type: tmpfs, target: /tmp}\n"
                        "      - {type: tmpfs, target: /run}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    CHECK(result.workloads[0].spec.env.at("B") == "hello world");
}

TEST_CASE("yaml: an alias to an unknown anchor, or inside its own anchor, is a syntax error") {
    auto unknown = parse(kHead + "  env: {A: *nowhere}\n");
    CHECK(where_rules(unknown) == Rules{"7:12 yaml-syntax"});
    CHECK(messages(unknown) ==
          "t.yaml:7:12: YAML syntax error: unknown anchor 'nowhere' (anchors belong to their own "
          "document) [yaml-syntax]\n");
    // yaml-cpp builds the cycle (the alias is its anchor's node); the walk finds it, at the anchor.
    auto cycle = parse(kHead + "  env: &e {A: *e}\n");
    CHECK(messages(cycle) ==
          "t.yaml:7:8: YAML syntax error: an alias inside the node its anchor names (a cycle) "
          "[yaml-syntax]\n");
}

TEST_CASE("yaml: anchors belong to their document") {
    auto result = parse(kHead + "  env: {A: &v one}\n---\n" + kHead + "  env: {A: *v}\n");
    CHECK(where_rules(result) == Rules{"15:12 yaml-syntax"});
}

TEST_CASE("yaml: several documents, empty ones and comment-only ones skipped") {
    auto second = kHead;
    second.replace(second.find("name: app"), 9, "name: two");
    auto result = parse("# leading comment\n---\n" + kHead + "---\n# only a comment\n---\n" +
                        second + "---\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.workloads.size() == 2);
    CHECK(result.workloads[0].metadata.name == "app");
    CHECK(result.workloads[1].metadata.name == "two");
}

TEST_CASE("yaml: a syntax error names yaml-cpp's problem and where it was found") {
    auto result = parse(kHead + "  env: {A: b\n  workingDir: /srv\n");
    CHECK(messages(result) ==
          "t.yaml:8:13: YAML syntax error: end of map flow not found [yaml-syntax]\n");
}

TEST_CASE("yaml: a duplicate key names both positions, in every kind of map") {
    CHECK(messages(parse(kHead + "  workingDir: /a\n  workingDir: /b\n")) ==
          "t.yaml:8:3: duplicate key 'workingDir' in spec (first at line 7, column 3) "
          "[duplicate-key]\n");
    CHECK(messages(parse(kHead + "  env: {A: x, B: y, A: z}\n")) ==
          "t.yaml:7:21: duplicate key 'A' in spec.env (first at line 7, column 9) "
          "[duplicate-key]\n");
    auto labels = parse(
        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: a\n"
        "  labels:\n    app: x\n    app: y\nspec: {command: [/bin/true]}\n");
    CHECK(messages(labels) ==
          "t.yaml:7:5: duplicate key 'app' in metadata.labels (first at line 6, column 5) "
          "[duplicate-key]\n");
}

TEST_CASE("yaml: a map as a key is refused by the reader, not by the parser") {
    auto result = parse(kHead + "  env: {? {a: b} : c}\n");
    CHECK(where_rules(result) == Rules{"7:11 wrong-type"});
}
