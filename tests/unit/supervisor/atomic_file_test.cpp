// Persist, then acknowledge: a write cut short at any step leaves the old content or the new.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "edgevisor/atomic_file.hpp"

using namespace edgevisor;

TEST_CASE("an atomic write cut at any step leaves the old or the new content, never a mix") {
    char templ[] = "/tmp/edgevisor-atomic.XXXXXX";
    std::filesystem::path dir = ::mkdtemp(templ);
    auto file = dir / "layer.json";
    REQUIRE(write_file_atomic(file, "old"));
    for (CutAfter cut : {CutAfter::temp_written, CutAfter::temp_synced}) {
        REQUIRE(write_file_atomic(file, "new content", cut));
        CHECK(*read_file(file) == "old");  // the rename did not happen: the old one stands
    }
    REQUIRE(write_file_atomic(file, "new content", CutAfter::renamed));
    CHECK(*read_file(file) == "new content");
    REQUIRE(write_file_atomic(file, "newest"));
    CHECK(*read_file(file) == "newest");
    CHECK(read_file(dir / "missing").error().code == ENOENT);
    std::filesystem::remove_all(dir);
}
