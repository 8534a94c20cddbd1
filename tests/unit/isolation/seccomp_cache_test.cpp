// The on-disk cache of compiled seccomp programs: hits equal a fresh compile (warnings
// included), damaged files are recompiled, and a cache others could write is never used.
// Programs are compiled and compared, never loaded.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "seccomp.hpp"
#include "seccomp_cache.hpp"
#include "seccomp_policy.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;
using namespace edgevisor::isolation::seccomp_detail;
namespace fs = std::filesystem;

namespace {

const std::string kSmallProfile = std::string(EDGEVISOR_TEST_DATA) + "/small-profile.json";

// A fresh 0700 directory (mkdtemp's mode), removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "seccomp-cache-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
};

// The small profile's program (one warning: an unknown syscall name), compiled afresh.
Result<SeccompProgram> compile_small_profile(int& compiles) {
    ++compiles;
    auto policy = import_profile_file(kSmallProfile, {});
    if (!policy) return std::unexpected(policy.error());
    return compile_policy(*policy);
}

bool same_instructions(const SeccompProgram& a, const SeccompProgram& b) {
    return a.instructions.size() == b.instructions.size() &&
           std::memcmp(a.instructions.data(), b.instructions.data(),
                       a.instructions.size() * sizeof(sock_filter)) == 0;
}

std::vector<std::string> cache_files(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    return names;
}

}  // namespace

TEST_CASE("seccomp cache: a hit gives the compiled instructions and warnings, without compiling") {
    TempDir dir;
    int compiles = 0;
    auto compile = [&] { return compile_small_profile(compiles); };
    auto first = load_or_compile(dir.path, "policy A", compile);
    REQUIRE(first.has_value());
    CHECK_FALSE(first->from_disk);
    REQUIRE(first->program.warnings.size() == 1);
    REQUIRE_FALSE(first->program.instructions.empty());

    const auto files = cache_files(dir.path);
    REQUIRE(files.size() == 1);
    CHECK(files[0] == program_cache_name("policy A"));
    struct stat st {};
    REQUIRE(::stat((dir.path + "/" + files[0]).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);

    auto second = load_or_compile(dir.path, "policy A", compile);
    REQUIRE(second.has_value());
    CHECK(second->from_disk);
    CHECK(compiles == 1);
    CHECK(same_instructions(second->program, first->program));
    CHECK(second->program.warnings == first->program.warnings);

    // Another text is another file.
    auto other = load_or_compile(dir.path, "policy B", compile);
    REQUIRE(other.has_value());
    CHECK_FALSE(other->from_disk);
    CHECK(compiles == 2);
    CHECK(cache_files(dir.path).size() == 2);
}

TEST_CASE("seccomp cache: a damaged or short file is recompiled and rewritten") {
    TempDir dir;
    int compiles = 0;
    auto compile = [&] { return compile_small_profile(compiles); };
    REQUIRE(load_or_compile(dir.path, "policy", compile).has_value());
    const std::string file = dir.path + "/" + program_cache_name("policy");
    const auto size = fs::file_size(file);

    SECTION("one byte of the program flipped") {
        std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
        io.seekg(static_cast<std::streamoff>(size - 40));
        char byte = 0;
        io.get(byte);
        io.seekp(static_cast<std::streamoff>(size - 40));
        io.put(static_cast<char>(byte ^ 0x5a));
    }
    SECTION("truncated") {
        fs::resize_file(file, size / 2);
    }
    SECTION("empty") {
        fs::resize_file(file, 0);
    }

    auto again = load_or_compile(dir.path, "policy", compile);
    REQUIRE(again.has_value());
    CHECK_FALSE(again->from_disk);
    CHECK(compiles == 2);
    CHECK(fs::file_size(file) == size);
    auto third = load_or_compile(dir.path, "policy", compile);
    REQUIRE(third.has_value());
    CHECK(third->from_disk);
    CHECK(same_instructions(third->program, again->program));
}

TEST_CASE("seccomp cache: a directory or file others could write is not used") {
    TempDir dir;
    int compiles = 0;
    auto compile = [&] { return compile_small_profile(compiles); };

    SECTION("directory with group/other access") {
        REQUIRE(::chmod(dir.path.c_str(), 0755) == 0);
        auto opened = ProgramDiskCache::open(dir.path);
        REQUIRE_FALSE(opened.has_value());
        CHECK(opened.error().code == EPERM);
        CHECK(opened.error().message.find("0700") != std::string::npos);
        // Still compiles, and writes nothing there.
        for (int i = 0; i < 2; ++i) {
            auto result = load_or_compile(dir.path, "policy", compile);
            REQUIRE(result.has_value());
            CHECK_FALSE(result->from_disk);
        }
        CHECK(compiles == 2);
        CHECK(cache_files(dir.path).empty());
    }
    SECTION("directory reached through a symlink") {
        const std::string link = dir.path + "-link";
        REQUIRE(::symlink(dir.path.c_str(), link.c_str()) == 0);
        auto opened = ProgramDiskCache::open(link);
        ::unlink(link.c_str());
        CHECK_FALSE(opened.has_value());
    }
    SECTION("a cache file with another mode or owner") {
        REQUIRE(load_or_compile(dir.path, "policy", compile).has_value());
        const std::string file = dir.path + "/" + program_cache_name("policy");
        if (::geteuid() == 0) {
            REQUIRE(::chown(file.c_str(), 12345, 12345) == 0);
        } else {
            REQUIRE(::chmod(file.c_str(), 0644) == 0);
        }
        auto opened = ProgramDiskCache::open(dir.path);
        REQUIRE(opened.has_value());
        CHECK_FALSE(opened->load(program_cache_name("policy")).has_value());
        REQUIRE(::chown(file.c_str(), ::geteuid(), ::getegid()) == 0);
        REQUIRE(::chmod(file.c_str(), 0640) == 0);
        CHECK_FALSE(opened->load(program_cache_name("policy")).has_value());
        REQUIRE(::chmod(file.c_str(), 0600) == 0);
        CHECK(opened->load(program_cache_name("policy")).has_value());
    }
    SECTION("a missing directory is created 0700") {
        const std::string nested = dir.path + "/edgevisor/seccomp";
        auto result = load_or_compile(nested, "policy", compile);
        REQUIRE(result.has_value());
        struct stat st {};
        REQUIRE(::stat(nested.c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0700);
        CHECK(cache_files(nested).size() == 1);
    }
}

TEST_CASE("prepare_seccomp stores an imported profile's program in EDGEVISOR_SECCOMP_CACHE") {
    TempDir dir;
    const std::string cache = dir.path + "/cache";
    REQUIRE(::setenv("EDGEVISOR_SECCOMP_CACHE", cache.c_str(), 1) == 0);
    // A path of its own: the process-wide cache has not seen it, whatever ran before.
    manifests::Seccomp spec;
    spec.profile = manifests::SeccompProfile::file;
    spec.path = dir.path + "/profile.json";
    fs::copy_file(kSmallProfile, spec.path);
    auto prepared = prepare_seccomp(spec);
    ::unsetenv("EDGEVISOR_SECCOMP_CACHE");
    REQUIRE(prepared.has_value());
    CHECK((*prepared)->warnings.size() == 1);

    const auto files = cache_files(cache);
    REQUIRE(files.size() == 1);
    auto opened = ProgramDiskCache::open(cache);
    REQUIRE(opened.has_value());
    auto stored = opened->load(files[0]);
    REQUIRE(stored.has_value());
    CHECK(same_instructions(*stored, **prepared));
    CHECK(stored->warnings == (*prepared)->warnings);
}

TEST_CASE("the process's program cache keeps the most recently used policies, up to its size") {
    TempDir dir;
    REQUIRE(::setenv("EDGEVISOR_SECCOMP_CACHE", (dir.path + "/cache").c_str(), 1) == 0);
    // One policy per errno value, none seen before in this process (values of their own).
    auto policy = [](int value) {
        manifests::Seccomp spec;
        spec.profile = manifests::SeccompProfile::custom;
        spec.default_action = {manifests::SeccompActionKind::allow, 0};
        spec.rules = {{{"acct"}, {manifests::SeccompActionKind::errno_code, value}, {}}};
        return spec;
    };
    const int entries = static_cast<int>(kProgramCacheEntries);
    auto kept = prepare_seccomp(policy(3000));
    REQUIRE(kept.has_value());
    // Used between every new policy: it stays, the same program, well past the cache's size.
    for (int i = 1; i <= entries + 8; ++i) {
        REQUIRE(prepare_seccomp(policy(3000 + i)).has_value());
        auto again = prepare_seccomp(policy(3000));
        REQUIRE(again.has_value());
        CHECK(again->get() == kept->get());
    }
    // Left alone while as many other policies come: dropped, and made again when asked for.
    for (int i = 1; i <= entries; ++i) REQUIRE(prepare_seccomp(policy(3500 + i)).has_value());
    auto rebuilt = prepare_seccomp(policy(3000));
    ::unsetenv("EDGEVISOR_SECCOMP_CACHE");
    REQUIRE(rebuilt.has_value());
    CHECK(rebuilt->get() != kept->get());
    CHECK(same_instructions(**rebuilt, **kept));
}
