// Reading cgroup files of any size: io.stat has a line per block device, and a machine with
// many disks makes it larger than the stack buffer the stats reader starts with.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"
#include "edgevisor/unique_fd.hpp"

using namespace edgevisor;

namespace {

// A temporary file holding text, open for reading; removed when the test ends.
class TextFile {
  public:
    explicit TextFile(const std::string& text) {
        char path[] = "/tmp/edgevisor-cgroup-files-XXXXXX";
        fd_.reset(::mkstemp(path));
        REQUIRE(fd_.valid());
        ::unlink(path);
        REQUIRE(::write(fd_.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
    [[nodiscard]] int fd() const { return fd_.get(); }

  private:
    UniqueFd fd_;
};

std::string io_stat_lines(int devices) {
    std::string text;
    for (int i = 0; i < devices; ++i)
        text += "259:" + std::to_string(i) +
                " rbytes=123456789 wbytes=987654321 rios=12345 wios=54321 dbytes=0 dios=0\n";
    return text;
}

}  // namespace

TEST_CASE("cgroup files: a file larger than the stack buffer is EFBIG, not cut short") {
    const std::string text = io_stat_lines(200);  // about 16 KiB
    REQUIRE(text.size() > isolation::detail::kFileBuffer);
    TextFile file(text);
    isolation::detail::FileBuffer buffer;
    auto view = isolation::detail::pread_view(file.fd(), buffer, "io.stat");
    REQUIRE_FALSE(view.has_value());
    CHECK(view.error().code == EFBIG);
}

TEST_CASE("cgroup files: pread_growing reads io.stat of many devices whole, again and again") {
    const std::string text = io_stat_lines(2000);  // about 160 KiB
    TextFile file(text);
    std::string buffer;
    for (int round = 0; round < 2; ++round) {
        auto view = isolation::detail::pread_growing(file.fd(), buffer, "io.stat");
        REQUIRE(view.has_value());
        CHECK(*view == text);
    }
    auto parsed = isolation::parse_io_stat(text);
    CHECK(parsed.size() == 2000);
}

TEST_CASE("cgroup files: pread_growing stops at its limit with EFBIG") {
    TextFile file(io_stat_lines(200));
    std::string buffer;
    auto view = isolation::detail::pread_growing(file.fd(), buffer, "io.stat", 10000);
    REQUIRE_FALSE(view.has_value());
    CHECK(view.error().code == EFBIG);
    CHECK_THAT(view.error().message, Catch::Contains("io.stat is larger than 10000 bytes"));
}
