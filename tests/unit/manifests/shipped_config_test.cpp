// systemd/edgevisor.yaml, the config the package installs, agrees with the parser: as shipped,
// with every commented line uncommented, and with each log level its comment lists.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "edgevisor/manifests/node_config.hpp"

using namespace edgevisor::manifests;

namespace {

const std::string kShipped =
    (std::filesystem::path(EDGEVISOR_SOURCE_DIR) / "systemd" / "edgevisor.yaml").string();

std::string shipped_text() {
    std::ifstream in(kShipped);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string diagnostics(const NodeConfigResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.format() + "\n";
    return out;
}

// The sections below "kind:" with their "# " taken away: what a user gets who uncomments them.
std::string uncommented(const std::string& text) {
    std::istringstream in(text);
    std::string out, line;
    bool body = false;
    while (std::getline(in, line)) {
        if (line.starts_with("kind:")) body = true;
        if (body && line.starts_with("# ")) line = line.substr(2);
        out += line + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("the shipped node config parses, as shipped and with every line uncommented") {
    std::string text = shipped_text();
    REQUIRE_FALSE(text.empty());
    auto as_shipped = parse_node_config(text, kShipped);
    INFO(diagnostics(as_shipped));
    CHECK(as_shipped.ok());
    auto all = parse_node_config(uncommented(text), kShipped);
    INFO(uncommented(text));
    INFO(diagnostics(all));
    CHECK(all.ok());
}

TEST_CASE("every log level the shipped config lists is one the parser accepts") {
    std::smatch m;
    std::string text = shipped_text();
    REQUIRE(std::regex_search(text, m, std::regex(R"(level: info +# ([a-z, ]+))")));
    std::istringstream levels(m[1].str());
    int count = 0;
    for (std::string level; std::getline(levels, level, ',');) {
        level.erase(0, level.find_first_not_of(' '));
        auto r = parse_node_config(
            "apiVersion: edgevisor/v1\nkind: NodeConfig\nlog: {level: " + level + "}\n", kShipped);
        INFO(level << ": " << diagnostics(r));
        CHECK(r.ok());
        ++count;
    }
    CHECK(count >= 4);
}
