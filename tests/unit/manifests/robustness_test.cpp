// Mangled manifests never crash, throw or hang: each mutation of the examples either parses or
// gives diagnostics that all carry a file, a position and a rule. Deterministic (a fixed seed),
// so a failure reproduces.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;

namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Characters that change YAML structure the most.
constexpr std::string_view kAlphabet = "[]{}:,-#&*!|>'\"\n \t?%@`0aZ.\\";

std::string mutate(std::string text, std::mt19937& random) {
    std::uniform_int_distribution<int> kind(0, 2);
    std::uniform_int_distribution<std::size_t> letter(0, kAlphabet.size() - 1);
    int edits = std::uniform_int_distribution<int>(1, 4)(random);
    for (int i = 0; i < edits && !text.empty(); ++i) {
        std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(random);
        switch (kind(random)) {
            case 0:
                text.erase(at, 1);
                break;
            case 1:
                text.insert(at, 1, kAlphabet[letter(random)]);
                break;
            default:
                text[at] = kAlphabet[letter(random)];
                break;
        }
    }
    return text;
}

}  // namespace

TEST_CASE("thousands of mutated examples parse or fail cleanly") {
    std::vector<std::string> sources;
    auto examples = std::filesystem::path(EDGEVISOR_SOURCE_DIR) / "examples";
    for (const auto& dir : {examples, examples / "reference"})
        for (const auto& entry : std::filesystem::directory_iterator(dir))
            if (entry.path().extension() == ".yaml") sources.push_back(read_file(entry.path()));
    REQUIRE(sources.size() >= 4);
    std::mt19937 random(20261122);
    std::size_t failed = 0;
    for (int round = 0; round < 3000; ++round) {
        const std::string& source = sources[static_cast<std::size_t>(round) % sources.size()];
        std::string text = mutate(source, random);
        LoadResult result;
        REQUIRE_NOTHROW(result = parse_text(text, "m.yaml"));
        failed += result.ok() ? 0 : 1;
        for (const Diagnostic& d : result.diagnostics) {
            INFO(text);
            REQUIRE(d.mark.file == "m.yaml");
            REQUIRE(d.mark.line >= 1);
            REQUIRE(d.mark.column >= 1);
            REQUIRE_FALSE(d.rule.empty());
            REQUIRE_FALSE(d.message.empty());
        }
        // A document either yields a workload or an error; never both silently dropped.
        if (result.ok()) REQUIRE_FALSE(result.workloads.empty());
    }
    // Most random edits break something; if none did, the mutations are not reaching the parser.
    CHECK(failed > 1000);
}
