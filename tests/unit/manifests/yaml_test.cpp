// The YAML layer (libyaml underneath, manifests/src/yaml_tree.hpp) as a manifest author meets
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
    CHECK_THAT(messages(unknown), Catch::Contains("unknown anchor 'nowhere'"));
    auto cycle = parse(kHead + "  env: &e {A: *e}\n");
    CHECK(where_rules(cycle) == Rules{"7:15 yaml-syntax"});
    CHECK_THAT(messages(cycle), Catch::Contains("alias '*e' inside the node it names"));
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

TEST_CASE("yaml: a syntax error names libyaml's problem and where it was found") {
    auto result = parse(kHead + "  env: {A: b\n  workingDir: /srv\n");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].rule == "yaml-syntax");
    CHECK_THAT(result.diagnostics[0].message,
               Catch::Contains("while parsing a flow mapping") &&
                   Catch::Contains("did not find expected ',' or '}'"));
    CHECK(result.diagnostics[0].mark.line == 8);
}

TEST_CASE("yaml: a map as a key is refused by the reader, not by the parser") {
    auto result = parse(kHead + "  env: {? {a: b} : c}\n");
    CHECK(where_rules(result) == Rules{"7:11 wrong-type"});
}
