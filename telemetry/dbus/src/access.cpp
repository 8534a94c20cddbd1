#include "access.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <vector>

namespace edgevisor::telemetry::dbus {

bool is_admin(uid_t euid, const std::string& admin_group) {
    if (euid == 0) return true;
    if (admin_group.empty()) return false;

    std::vector<char> buffer(16384);
    group group_entry{};
    group* group_found = nullptr;
    if (::getgrnam_r(admin_group.c_str(), &group_entry, buffer.data(), buffer.size(),
                     &group_found) != 0 ||
        group_found == nullptr)
        return false;
    const gid_t admin_gid = group_found->gr_gid;

    std::vector<char> user_buffer(16384);
    passwd user_entry{};
    passwd* user_found = nullptr;
    if (::getpwuid_r(euid, &user_entry, user_buffer.data(), user_buffer.size(), &user_found) != 0 ||
        user_found == nullptr)
        return false;
    if (user_found->pw_gid == admin_gid) return true;

    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(user_found->pw_name, user_found->pw_gid, groups.data(), &count) < 0) {
        // `count` now holds the number needed.
        groups.resize(static_cast<std::size_t>(count));
        if (::getgrouplist(user_found->pw_name, user_found->pw_gid, groups.data(), &count) < 0)
            return false;
    }
    groups.resize(static_cast<std::size_t>(count));
    return std::find(groups.begin(), groups.end(), admin_gid) != groups.end();
}

}  // namespace edgevisor::telemetry::dbus
