// An idle daemon gives back the pages only its start-up needed (release_clean_pages, 5 s after
// a burst of work): what a 4 MB idle figure on a small board rests on. Real edgevisord, its
// own copy of the binary so that no other process shares its pages.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;
namespace fs = std::filesystem;

namespace {

// The resident KB of the read-only mappings of `file` in process `pid` (/proc/PID/smaps): its
// code and read-only data, what the release advises. Not its writable data, which an ASan build
// makes large and which nothing gives back.
long resident_kb(pid_t pid, const std::string& file) {
    std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
    long total = 0;
    bool ours = false;
    for (std::string line; std::getline(smaps, line);) {
        // A mapping's line starts with its address range in lower-case hex, then its
        // permissions; its fields' lines with a capitalised name (Rss:, Pss:, VmFlags:).
        bool mapping = !line.empty() && (std::isdigit(static_cast<unsigned char>(line[0])) ||
                                         (line[0] >= 'a' && line[0] <= 'f'));
        if (mapping) {
            auto perms = line.find(' ') + 1;
            ours = line.ends_with(" " + file) && line.compare(perms, 1, "r") == 0 &&
                   line.compare(perms + 1, 1, "w") != 0;
        } else if (ours && line.starts_with("Rss:")) {
            total += std::stol(line.substr(4));
        }
    }
    return total;
}

// A copy of the daemon on a disk (not /tmp, which may be a tmpfs whose pages cannot be paged
// out without swap), synced, so its page-cache pages are clean and ours alone.
struct PrivateBinary {
    std::string dir, path;
    PrivateBinary() {
        fs::create_directories("/var/lib/edgevisor-tests");
        char templ[] = "/var/lib/edgevisor-tests/memory.XXXXXX";
        dir = ::mkdtemp(templ);
        path = dir + "/sbin/edgevisord";
        fs::create_directories(dir + "/sbin");
        fs::copy_file(EDGEVISOR_EDGEVISORD, path);
        // Its helpers (edgevisor-init) are found in ../libexec/edgevisor beside it.
        fs::create_directory_symlink(
            fs::path(EDGEVISOR_EDGEVISORD).parent_path().parent_path() / "libexec",
            dir + "/libexec");
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        ::fsync(fd);
        ::close(fd);
    }
    ~PrivateBinary() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

std::string sleeper(const std::string& name, const std::string& seconds) {
    return workload_yaml(
        name, "  command: [/bin/sleep, \"" + seconds + "\"]\n  isolation: {init: true}\n");
}

}  // namespace

TEST_CASE("an idle daemon gives back its start-up pages and works on after") {
    require_root();
    PrivateBinary binary;
    Daemon d;
    d.set_program(binary.path);
    d.write_manifest("a.yaml", sleeper("alpha", "1000") + "---\n" + sleeper("beta", "1000"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    const long at_ready = resident_kb(d.pid(), binary.path);
    REQUIRE(d.wait_for([&](const Json&) {
        return d.daemon_output().find("memory: start-up pages released") != std::string::npos;
    }));
    const long released = resident_kb(d.pid(), binary.path);
    INFO("binary resident at ready " << at_ready << " KB, after the release " << released);
    CHECK(at_ready > 1000);  // parsing, the bus, the launches: most of the code ran
    CHECK(released < at_ready / 2);

    // Working again reads back what it needs: an edit is planned and launched as before.
    d.write_manifest("a.yaml", sleeper("alpha", "2000") + "---\n" + sleeper("beta", "1000"));
    REQUIRE(d.wait_for([&](const Json&) {
        auto w = d.workload("alpha");
        return w && w->value("state", "") == "running" &&
               d.daemon_output().find("alpha: replace") != std::string::npos;
    }));
    CHECK(d.stop() == 0);
}

TEST_CASE("supervisor.releaseMemoryAfter 0 keeps the start-up pages") {
    require_root();
    PrivateBinary binary;
    Daemon d("supervisor: {releaseMemoryAfter: 0}\n");
    d.set_program(binary.path);
    d.write_manifest("a.yaml", sleeper("alpha", "1000"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    const long at_ready = resident_kb(d.pid(), binary.path);
    std::this_thread::sleep_for(7s);  // past the default's 5 s
    CHECK(d.daemon_output().find("start-up pages") == std::string::npos);
    CHECK(resident_kb(d.pid(), binary.path) >= at_ready * 9 / 10);
    CHECK(d.stop() == 0);
}
