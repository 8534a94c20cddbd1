// Capabilities: the plan is computed and checked in the parent (libcap may allocate there);
// the child_* steps use raw prctl/capset so they neither allocate nor lock.
#include "capabilities.hpp"

#include "child_step.hpp"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace edgevisor::isolation {

namespace {

// Securebits for a workload. Every bit is locked so that the workload, even one granted
// CAP_SETPCAP, cannot change how uid changes affect its capabilities.
//
// Non-root: NOROOT makes uid 0 (e.g. exec of a setuid-root binary when noNewPrivileges is
// off) grant nothing; NO_SETUID_FIXUP keeps the kernel from touching the sets when the launcher
// switches 0 -> target uid, so the permitted set survives for child_apply_sets, and from
// copying permitted into effective on a later switch back to euid 0. The capabilities are then
// exactly the ambient set we raise.
//
// Root: a root workload receives its capabilities from the exec rule for uid 0 (permitted =
// bounding), so NOROOT stays off; the uid fixup stays on, so a root daemon that drops to
// another uid loses its capabilities as it expects. Bounding already caps what uid 0 can get.
//
// KEEP_CAPS stays off and locked in both cases: NO_SETUID_FIXUP covers the launcher's own
// uid switch, and nobody inside may use KEEP_CAPS later.
unsigned securebits_for(bool non_root) {
    unsigned bits = SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
    if (non_root) bits |= SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP;
    return bits;
}

std::string capability_display_name(int number, const std::string& given) {
    if (!given.empty()) return given;
    char* text = cap_to_name(static_cast<cap_value_t>(number));
    std::string name = text != nullptr ? text : std::to_string(number);
    cap_free(text);
    return name;
}

bool kept(const CapabilityPlan& plan, int cap) noexcept {
    return ((plan.keep >> cap) & 1U) != 0;
}

}  // namespace

Result<CapabilityPlan> prepare_capabilities(const manifests::Isolation& isolation,
                                            uid_t target_uid) {
    // cap_max_bits() asks the running kernel (cap_last_cap, or PR_CAPBSET_READ probing).
    const int last_cap = static_cast<int>(cap_max_bits()) - 1;
    if (last_cap < 0 || last_cap > 63) {
        return fail_at(Step::capabilities, "", 0, "cannot determine the kernel's last capability");
    }
    CapabilityPlan plan;
    plan.last_cap = last_cap;
    plan.non_root = target_uid != 0;
    plan.no_new_privileges = isolation.no_new_privileges;
    plan.securebits = securebits_for(plan.non_root);
    for (const auto& cap : isolation.capabilities.add) {
        const std::string name = capability_display_name(cap.number, cap.name);
        if (cap.number < 0 || cap.number > last_cap) {
            return fail_at(Step::capabilities, name + " " + std::to_string(cap.number), EINVAL,
                           "not known to the running kernel (its last capability is " +
                               std::to_string(last_cap) + ")");
        }
        plan.keep |= std::uint64_t{1} << cap.number;
    }
    // Without no_new_privs the kernel lets only a CAP_SYS_ADMIN holder install a seccomp
    // filter, and child_load_seccomp runs after the sets are reduced: hold it until then.
    const bool filtered = isolation.seccomp.profile != manifests::SeccompProfile::unconfined;
    if (filtered && !plan.no_new_privileges && !kept(plan, CAP_SYS_ADMIN))
        plan.retained = std::uint64_t{1} << CAP_SYS_ADMIN;
    return plan;
}

int child_drop_bounding(const CapabilityPlan& plan) noexcept {
    for (int cap = 0; cap <= plan.last_cap; ++cap) {
        if (kept(plan, cap)) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return errno;
    }
    return 0;
}

int child_lock_securebits(const CapabilityPlan& plan) noexcept {
    if (::prctl(PR_SET_SECUREBITS, plan.securebits, 0, 0, 0) != 0) return errno;
    return 0;
}

namespace {

// capset: effective = permitted = `held`; inheritable = keep for a non-root workload (ambient
// requires it), nothing for root (it gets its sets from the bounding set at exec).
int set_sets(const CapabilityPlan& plan, std::uint64_t held) noexcept {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    data[0].effective = data[0].permitted = static_cast<std::uint32_t>(held & 0xffffffffU);
    data[1].effective = data[1].permitted = static_cast<std::uint32_t>(held >> 32);
    if (plan.non_root) {
        data[0].inheritable = static_cast<std::uint32_t>(plan.keep & 0xffffffffU);
        data[1].inheritable = static_cast<std::uint32_t>(plan.keep >> 32);
    }
    if (::syscall(SYS_capset, &header, data) != 0) return errno;
    return 0;
}

}  // namespace

int child_apply_sets(const CapabilityPlan& plan) noexcept {
    if (int rc = set_sets(plan, plan.keep | plan.retained); rc != 0) return rc;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return errno;
    if (!plan.non_root) return 0;
    for (int cap = 0; cap <= plan.last_cap; ++cap) {
        if (!kept(plan, cap)) continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return errno;
    }
    return 0;
}

int child_set_no_new_privs(const CapabilityPlan& plan) noexcept {
    if (!plan.no_new_privileges) return 0;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    return 0;
}

}  // namespace edgevisor::isolation
