// Hostile input is refused quickly and in bounded memory, before or while it is parsed.
#include <catch2/catch.hpp>
#include <chrono>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;
using edgevisor::testing::kHead;
using edgevisor::testing::messages;
using edgevisor::testing::where_rules;
using Rules = std::vector<std::string>;

namespace {

// Runs a parse and checks it took well under a second.
LoadResult timed(const std::string& text, const ParseLimits& limits = {}) {
    auto start = std::chrono::steady_clock::now();
    auto result = parse_text(text, "t.yaml", limits);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    return result;
}

std::string billion_laughs() {
    std::string text =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
        char prev = static_cast<char>(c - 1);
        text += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 9; ++i) text += std::string(i ? "," : "") + "*" + prev;
        text += "]\n";
    }
    return text;
}

}  // namespace

TEST_CASE("100k opening brackets give a nesting error, not a stack overflow") {
    auto result = timed(std::string(100000, '['));
    CHECK(where_rules(result) == Rules{"1:64 nesting-depth"});
}

TEST_CASE("100k opening braces and deep block nesting are refused too") {
    CHECK(where_rules(timed(std::string(100000, '{'))) == Rules{"1:64 nesting-depth"});
    std::string block;
    for (int i = 0; i < 100; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    CHECK(where_rules(timed(block)) == Rules{"65:65 nesting-depth"});
    std::string dashes;
    for (int i = 0; i < 50000; ++i) dashes += "- ";
    CHECK(where_rules(timed(dashes + "x\n")).at(0) == "1:129 nesting-depth");
}

TEST_CASE("nesting within the limit parses, and brackets in quotes and comments do not count") {
    std::string deep = std::string(60, '[') + std::string(60, ']');
    auto result = timed(deep);
    CHECK(where_rules(result) == Rules{"1:1 wrong-type"});  // a list, not a Workload: parsed
    auto quoted = timed(kHead + "  env: {A: \"" + std::string(1000, '[') + "\"}  # " +
                        std::string(1000, '{') + "\n" + "  workingDir: /x[y\n");
    INFO(messages(quoted));
    CHECK(quoted.ok());
    auto block = timed(kHead + "  env:\n    A: |\n" + "      " + std::string(100, '[') + "\n" +
                       "        " + std::string(100, '{') + "\n");
    INFO(messages(block));
    CHECK(block.ok());
}

TEST_CASE("a billion laughs fails fast in bounded memory") {
    auto result = timed(billion_laughs());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].rule == "alias-expansion");
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("more than 100000 nodes"));
}

TEST_CASE("a billion laughs inside a workload's fields fails the same way") {
    auto result = timed(billion_laughs() + "apiVersion: edgevisor/v1\n");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].rule == "alias-expansion");
}

TEST_CASE("a self-referencing alias stops at the depth cap") {
    auto result = timed("a: &x [*x]\n");
    REQUIRE_FALSE(result.ok());
    CHECK((result.diagnostics[0].rule == "nesting-depth" ||
           result.diagnostics[0].rule == "yaml-syntax"));
}

TEST_CASE("the size cap refuses a file before parsing it") {
    ParseLimits limits;
    limits.max_document_bytes = 1000;
    auto result = timed(kHead + "  env: {A: \"" + std::string(2000, 'x') + "\"}\n", limits);
    CHECK(where_rules(result) == Rules{"1:1 file-too-large"});
    CHECK_THAT(messages(result), Catch::Contains("the limit is 1000"));
    CHECK(timed(kHead, limits).ok());
}

TEST_CASE("the default size cap is 1 MiB") {
    auto big = timed(kHead + "  env: {A: \"" + std::string(1100 * 1024, 'x') + "\"}\n");
    CHECK(where_rules(big) == Rules{"1:1 file-too-large"});
}

TEST_CASE("aliases used reasonably are fine") {
    auto result = timed(kHead + "  env: &e {A: b}\n---\n" +
                        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: b}\n"
                        "spec: {command: &c [/bin/true], health: {liveness: {exec: *c}}}\n");
    INFO(messages(result));
    CHECK(result.ok());
}

// What yaml-cpp throws or quietly accepts becomes one diagnostic with its position; nothing
// escapes. Exact texts: they are what a person reads.
TEST_CASE("hostile YAML gives exact messages, never an exception") {
    CHECK(messages(timed(std::string(100000, '['))) ==
          "t.yaml:1:64: nesting deeper than 64 levels [nesting-depth]\n");
    // With the pre-scan out of the way, yaml-cpp's own recursion limit answers.
    ParseLimits unbounded;
    unbounded.max_depth = 1000000;
    CHECK(messages(timed(std::string(5000, '['), unbounded)) ==
          "t.yaml:1:1: nesting deeper than 500 levels (yaml-cpp's limit) [nesting-depth]\n");
    std::string bomb = billion_laughs() + "k: &k [";
    for (int i = 0; i < 1000; ++i) bomb += std::string(i ? "," : "") + "*j";
    auto laughs = timed(bomb + "]\n");
    CHECK(messages(laughs) ==
          "t.yaml:1:38: the document expands to more than 100000 nodes (each use of an alias "
          "counts) [alias-expansion]\n");
    CHECK(messages(timed(kHead + "  workingDir: /a\xff\xfe\n")) ==
          "t.yaml:7:17: YAML syntax error: invalid UTF-8 (byte 0xff); manifests are UTF-8 text "
          "[yaml-syntax]\n");
    CHECK(messages(timed(kHead + "  env: {A: \"\xc3\x28\"}\n")) ==
          "t.yaml:7:13: YAML syntax error: invalid UTF-8 (byte 0xc3); manifests are UTF-8 text "
          "[yaml-syntax]\n");
    CHECK(messages(timed(kHead + "  env:\n\tA: b\n")) ==
          "t.yaml:8:2: YAML syntax error: end of map not found (the line is indented with a tab; "
          "YAML indents with spaces) [yaml-syntax]\n");
    CHECK(messages(timed("\tapiVersion: edgevisor/v1\n")) ==
          "t.yaml:1:12: YAML syntax error: illegal map value (the line is indented with a tab; "
          "YAML indents with spaces) [yaml-syntax]\n");
    CHECK(messages(timed(kHead + "  workingDir: \"/srv\n  env: {A: b}\n")) ==
          "t.yaml:7:15: YAML syntax error: a quoted value has no closing quote (it runs to the "
          "end of the file) [yaml-syntax]\n");
    CHECK(messages(timed(kHead + "  workingDir: 'it''s\n")) ==
          "t.yaml:7:15: YAML syntax error: a quoted value has no closing quote (it runs to the "
          "end of the file) [yaml-syntax]\n");
}

TEST_CASE("quotes that close, and valid multi-byte UTF-8, are not mistaken for hostile input") {
    auto result = timed(kHead +
                        "  env: {A: 'it''s', B: \"a \\\" b\", C: \"gr\xc3\xbc\xc3\x9f "
                        "\xe2\x82\xac \xf0\x9f\x98\x80\"}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    CHECK(result.workloads[0].spec.env.at("A") == "it's");
    CHECK(result.workloads[0].spec.env.at("B") == "a \" b");
}
