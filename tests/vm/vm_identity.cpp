// A bare uid in a minimal system: the guest is busybox, and its /etc (the host's, shared for
// ld.so and the test binaries) is covered with an empty tmpfs for the launch, so there is no
// passwd, group or nsswitch.conf at all, as on the board the issue was found on.
#include <catch2/catch.hpp>

#include "vm_support.hpp"
#include "without_passwd.hpp"

namespace edgevisor::vmtest {
namespace {

using testing::identity_manifest;
using testing::launch_without_passwd;

TEST_CASE("identity: without /etc/passwd the default user and a bare uid run, a name fails") {
    require_vm();
    CHECK(launch_without_passwd(identity_manifest("")) == "0 0 /\n");
    CHECK(launch_without_passwd(identity_manifest("  user: {uid: 1000}\n")) == "1000 0 /\n");
    CHECK(launch_without_passwd(identity_manifest("  user: {uid: 1000, gid: 1000}\n")) ==
          "1000 1000 /\n");
    CHECK(launch_without_passwd(identity_manifest("  user: {uid: sensor}\n")) ==
          "start failed: no-passwd: start failed at user(sensor): no such user in the host's "
          "/etc/passwd");
}

}  // namespace
}  // namespace edgevisor::vmtest
