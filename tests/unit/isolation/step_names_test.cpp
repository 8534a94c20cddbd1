// The step names are one closed set (child_step.hpp) and the README's "Start failures" table
// lists exactly that set: a step added to the code without a row, or a row without a step,
// fails here.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "child_step.hpp"

using namespace edgevisor::isolation;

namespace {

// The `names` in the first column of the table that follows "### Start failures".
std::set<std::string> readme_step_names() {
    std::ifstream in(std::string(EDGEVISOR_SOURCE_DIR) + "/README.md");
    std::string line;
    while (std::getline(in, line) && line != "### Start failures") {
    }
    std::set<std::string> names;
    bool in_table = false;
    while (std::getline(in, line)) {
        if (line.starts_with("| step |") || line.starts_with("| ---")) {
            in_table = true;
            continue;
        }
        if (!line.starts_with("|")) {
            if (in_table) break;
            continue;
        }
        const std::string first = line.substr(1, line.find('|', 1) - 1);
        for (std::size_t at = first.find('`'); at != std::string::npos;) {
            const std::size_t end = first.find('`', at + 1);
            names.insert(first.substr(at + 1, end - at - 1));
            at = first.find('`', end + 1);
        }
    }
    return names;
}

}  // namespace

TEST_CASE("steps: the README's start-failure table lists exactly the Step names") {
    std::set<std::string> code;
    for (std::size_t i = 1; i < kSteps.size(); ++i) code.insert(std::string(kSteps[i]));
    CHECK(code.size() == kSteps.size() - 1);  // no name twice
    const auto readme = readme_step_names();
    REQUIRE_FALSE(readme.empty());
    for (const auto& name : code) {
        INFO("in the code, not in the README: " << name);
        CHECK(readme.contains(name));
    }
    for (const auto& name : readme) {
        INFO("in the README, not in the code: " << name);
        CHECK(code.contains(name));
    }
}

TEST_CASE("steps: one format for a start failure's step part") {
    CHECK(step_name(Step::pivot_root) == "pivot_root");
    CHECK(step_text(Step::pivot_root, "/srv/rootfs") == "pivot_root(/srv/rootfs)");
    CHECK(step_text(Step::setsid, "") == "setsid");
    auto sentence = fail_at(Step::mount, "", EINVAL, "mounts need the mount namespace");
    CHECK(sentence.error().step == "mount");
    CHECK(sentence.error().describe() == "mount: mounts need the mount namespace");
    auto with_errno = fail_at(Step::bind_source, "/dev/ttyUSB9", ENOENT);
    CHECK(with_errno.error().describe() == "bind_source(/dev/ttyUSB9): No such file or directory");
}
