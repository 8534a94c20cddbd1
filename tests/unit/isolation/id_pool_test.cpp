// The node's id range pool against a real state file in a temporary directory: ranges are
// handed out lowest first, kept across pool objects (a restart), given back, and a state file
// that does not parse is an error naming its line, not a silent reset.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "edgevisor/isolation/id_pool.hpp"

using namespace edgevisor::isolation;
namespace fs = std::filesystem;

namespace {

class StateDir {
  public:
    StateDir() {
        std::string tmpl = (fs::temp_directory_path() / "edgevisor-idpool-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~StateDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    StateDir(const StateDir&) = delete;
    StateDir& operator=(const StateDir&) = delete;
    [[nodiscard]] fs::path file() const { return path_ / "state" / "idranges"; }
    [[nodiscard]] fs::path run_file() const { return path_ / "run" / "idranges"; }

  private:
    fs::path path_;
};

}  // namespace

TEST_CASE("id pool: the defaults are systemd-nspawn's private users") {
    IdPoolConfig config;
    CHECK(config.first == 524288);
    CHECK(config.size == 65536);
    CHECK(std::uint64_t{config.first} + std::uint64_t{config.count} * config.size == 1879048192);
}

TEST_CASE("id pool: lowest free range first, the same range again, kept across restarts") {
    StateDir dir;
    IdRangePool pool({}, dir.file());
    auto a = pool.acquire("sensor-reader");
    auto b = pool.acquire("broker-bridge");
    REQUIRE((a && b));
    CHECK(a->first == 524288);
    CHECK(b->first == 524288 + 65536);
    CHECK(a->size == 65536);
    CHECK(a->pool_first == 524288);
    CHECK(a->pool_end == 1879048192);
    CHECK(*pool.acquire("sensor-reader") == *a);
    // A new pool object on the same file: what a restarted supervisor sees.
    IdRangePool again({}, dir.file());
    CHECK(*again.acquire("broker-bridge") == *b);
    CHECK(fs::status(dir.file().parent_path()).permissions() == fs::perms(0700));
    CHECK(fs::status(dir.file()).permissions() == fs::perms(0600));
    // Given back, the range goes to the next workload that asks.
    REQUIRE(again.release("sensor-reader"));
    CHECK(again.acquire("maintenance")->first == 524288);
    auto all = again.ranges();
    REQUIRE(all);
    CHECK(all->size() == 2);
}

TEST_CASE("id pool: a full pool, a bad configuration and a broken state file are errors") {
    StateDir dir;
    IdRangePool small({524288, 65536, 1}, dir.file());
    REQUIRE(small.acquire("a"));
    auto full = small.acquire("b");
    REQUIRE_FALSE(full);
    CHECK(full.error().code == ENOSPC);
    CHECK_FALSE(IdRangePool({4294901760u, 65536, 2}, dir.file()).acquire("c"));
    CHECK_FALSE(IdRangePool({0, 65536, 1}, dir.file()).acquire("c"));

    std::ofstream(dir.file()) << "# edgevisor id ranges v1\na 524288 65536\nb 524288\n";
    auto broken = small.acquire("a");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().describe() ==
          "id_pool(" + dir.file().string() +
              ":3): expected '<workload> <first host id> <size>', got 'b 524288': Invalid "
              "argument");
}

TEST_CASE("id pool: a range outside a changed pool is replaced by one inside it") {
    StateDir dir;
    REQUIRE(IdRangePool({}, dir.file()).acquire("sensor"));
    IdRangePool moved({2000000000u, 65536, 4}, dir.file());
    auto range = moved.acquire("sensor");
    REQUIRE(range);
    CHECK(range->first == 2000000000u);
}

TEST_CASE("id pool: a workload needs a range when it has the user namespace and no own maps") {
    edgevisor::manifests::Workload w;
    CHECK(needs_id_range(w));  // the default namespaces include user
    w.spec.isolation.uid_map = {{0, 100000, 65536}};
    CHECK(needs_id_range(w));  // the gid map still comes from the range
    w.spec.isolation.gid_map = {{0, 100000, 65536}};
    CHECK_FALSE(needs_id_range(w));
    w.spec.isolation.namespaces = {edgevisor::manifests::Namespace::pid};
    CHECK_FALSE(needs_id_range(w));
}

TEST_CASE(
    "id pool: ranges of runs live in the run file, apart from and never overlapping the daemon's") {
    StateDir dir;
    IdRangePool pool({524288, 65536, 4}, dir.file(), dir.run_file());
    auto run = pool.acquire("one-off", Keep::until_reboot);
    REQUIRE(run);
    CHECK(run->first == 524288);
    CHECK(fs::exists(dir.run_file()));
    CHECK_FALSE(fs::exists(dir.file()));
    // The daemon's next workload takes the next range, not the run's.
    CHECK(pool.acquire("sensor")->first == 589824);
    // A run of the daemon's workload uses its range and writes nothing; its release keeps it.
    CHECK(pool.acquire("sensor", Keep::until_reboot)->first == 589824);
    REQUIRE(pool.release("sensor", Keep::until_reboot));
    CHECK(pool.acquire("sensor")->first == 589824);
    // The daemon taking the name of a running run adopts its range: the run's release leaves it.
    CHECK(pool.acquire("one-off")->first == 524288);
    REQUIRE(pool.release("one-off", Keep::until_reboot));
    CHECK(pool.ranges()->at("one-off").first == 524288);
    CHECK(pool.acquire("third", Keep::until_reboot)->first == 655360);
}

TEST_CASE("id pool: many ranges at once, around held ones, all or none") {
    StateDir dir;
    IdRangePool pool({524288, 65536, 4}, dir.file(), dir.run_file());
    REQUIRE(pool.acquire("held"));                       // index 0, durable
    REQUIRE(pool.acquire("a-run", Keep::until_reboot));  // index 1, a run's
    auto all = pool.acquire_all({"held", "x", "y"});
    REQUIRE(all);
    CHECK(all->at("held").first == 524288);  // the one it has
    CHECK(all->at("x").first == 524288 + 2 * 65536);
    CHECK(all->at("y").first == 524288 + 3 * 65536);
    // Written, durably: another pool object (a restarted daemon) sees the same ranges.
    IdRangePool again({524288, 65536, 4}, dir.file(), dir.run_file());
    CHECK(*again.acquire("y") == all->at("y"));
    // The pool has no room for two more: nothing is taken, not even the first.
    REQUIRE(again.release("x"));
    auto over = again.acquire_all({"p", "q"});
    REQUIRE_FALSE(over);
    CHECK(over.error().code == ENOSPC);
    CHECK_FALSE(again.ranges()->contains("p"));
    CHECK(again.acquire("p")->first == 524288 + 2 * 65536);
}
