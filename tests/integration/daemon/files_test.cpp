// The manifest directory's hostile entries and the log files' quota.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

bool has_error(const Json& s, const std::string& text) {
    for (const auto& layer : s.value("layers", Json::array()))
        for (const auto& e : layer.value("errors", Json::array()))
            if (e.get<std::string>().find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("a FIFO, a directory, a dangling symlink in the manifest dir: errors, never a hang") {
    require_root();
    Daemon d;
    d.write_manifest("good.yaml", workload_yaml("alpha",
                                                "  command: [/bin/sleep, \"1000\"]\n"
                                                "  isolation: {init: true}\n"));
    REQUIRE(::mkfifo(d.manifest_path("fifo.yaml").c_str(), 0644) == 0);
    std::filesystem::create_directory(d.manifest_path("dir.yaml"));
    std::filesystem::create_symlink("/nonexistent/x.yaml", d.manifest_path("dangling.yaml"));
    // Editors' files are not read at all.
    REQUIRE(::mkfifo(d.manifest_path(".good.yaml.swp").c_str(), 0644) == 0);
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    Json s = d.status();
    CHECK(has_error(s, d.manifest_path("fifo.yaml") + ": a FIFO, not a manifest file"));
    CHECK(has_error(s, d.manifest_path("dir.yaml") + ": a directory, not a manifest file"));
    CHECK(has_error(s, d.manifest_path("dangling.yaml") + ": a symlink to nothing"));
    CHECK_FALSE(has_error(s, ".swp"));
    // Still serving: a new file is picked up.
    d.write_manifest("more.yaml", workload_yaml("beta",
                                                "  command: [/bin/sleep, \"1000\"]\n"
                                                "  isolation: {init: true}\n"));
    CHECK(d.wait_state("beta", "running"));
    CHECK(d.stop() == 0);
}

TEST_CASE("logs rotate at logs.maxSize and a flooding workload stays within its quota") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", workload_yaml("flood",
                                             "  command: [/bin/sh, -c, \"yes flooding-the-log\"]\n"
                                             "  logs: {maxSize: 16Ki, maxFiles: 3}\n"
                                             "  stopTimeout: 1s\n  isolation: {init: true}\n") +
                                   "---\n" +
                                   workload_yaml("calm",
                                                 "  command: [/bin/sh, -c, \"while true; do echo "
                                                 "calm; sleep 0.1; done\"]\n"
                                                 "  isolation: {init: true}\n"));
    d.start();
    REQUIRE(d.wait_state("flood", "running"));
    std::string log = d.dir() + "/logs/flood.log";
    REQUIRE(d.wait_for([&](const Json&) { return path_exists(log + ".2"); }));
    // Let it flood a while longer, then measure: at most maxSize per file, maxFiles files.
    std::this_thread::sleep_for(1s);
    for (const auto& f : {log, log + ".1", log + ".2"})
        if (path_exists(f)) CHECK(std::filesystem::file_size(f) <= 16 * 1024);
    CHECK(!path_exists(log + ".3"));
    std::string first;  // read between two rotations (a rename moves it for a moment)
    REQUIRE(d.wait_for([&](const Json&) { return !(first = read_text_file(log + ".1")).empty(); }));
    CHECK_THAT(first.substr(0, first.find('\n')),
               Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z out flooding-the-log)"));
    // The loop still serves the others and the snapshot while the flood goes on.
    auto calm_lines = [&] {
        auto text = d.log_text("calm");
        return std::count(text.begin(), text.end(), '\n');
    };
    auto before = calm_lines();
    CHECK(d.wait_for([&](const Json&) { return calm_lines() >= before + 5; }));
    CHECK(d.stop() == 0);
}
