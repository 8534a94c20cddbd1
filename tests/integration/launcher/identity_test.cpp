// A bare numeric uid/gid needs no passwd or group entry, on a host with the files (a uid that
// has no entry) and where the files do not exist at all (getpwuid_r then returns ENOENT,
// which means "no entry"); a name that cannot be resolved is an error naming it and the file.
#include <pwd.h>

#include <catch2/catch.hpp>

#include "skip.hpp"
#include "without_passwd.hpp"

using namespace edgevisor::testing;

namespace {

// A uid with no entry in this host's passwd.
unsigned unlisted_uid() {
    for (unsigned uid = 4242;; ++uid)
        if (::getpwuid(uid) == nullptr) return uid;
}

}  // namespace

TEST_CASE("identity: a uid without a passwd entry runs with gid 0 and HOME=/") {
    require_root();
    const std::string uid = std::to_string(unlisted_uid());
    CHECK(detail::launch_and_read(identity_manifest("  user: {uid: " + uid + "}\n")) ==
          uid + " 0 /\n");
    CHECK(detail::launch_and_read(identity_manifest("  user: {uid: " + uid + ", gid: 4343}\n")) ==
          uid + " 4343 /\n");
}

TEST_CASE("identity: without /etc/passwd and /etc/group, numbers work and names are refused") {
    require_root();
    CHECK(launch_without_passwd(identity_manifest("")) == "0 0 /\n");
    CHECK(launch_without_passwd(identity_manifest("  user: {uid: 4242}\n")) == "4242 0 /\n");
    CHECK(launch_without_passwd(identity_manifest(
              "  user: {uid: 4242, gid: 4343, groups: [4444]}\n")) == "4242 4343 /\n");
    CHECK(launch_without_passwd(identity_manifest("  user: {uid: sensor}\n")) ==
          "start failed: no-passwd: start failed at user(sensor): no such user in the host's "
          "/etc/passwd");
    CHECK(launch_without_passwd(identity_manifest("  user: {uid: 0, gid: dialout}\n")) ==
          "start failed: no-passwd: start failed at group(dialout): no such group in the host's "
          "/etc/group");
}
