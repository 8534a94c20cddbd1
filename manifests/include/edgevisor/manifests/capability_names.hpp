// Linux capability names <-> numbers, for every capability this release knows (0..40,
// CAP_CHOWN..CAP_CHECKPOINT_RESTORE). Our own table rather than libcap's cap_from_name so that
// the manifest library (and its cross builds) need no libcap, and so that a name is accepted
// or rejected the same way on every kernel; the isolation layer checks the running kernel.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace edgevisor::manifests {

inline constexpr int kLastCapability = 40;  // CAP_CHECKPOINT_RESTORE

// Canonical names with the CAP_ prefix, indexed by number.
std::span<const std::string_view> capability_names();

// "CAP_NET_BIND_SERVICE" for 10; nullopt outside 0..kLastCapability.
std::optional<std::string_view> capability_name(int number);

// Exact, upper-case names, with or without the CAP_ prefix: "NET_BIND_SERVICE" and
// "CAP_NET_BIND_SERVICE" give 10. Anything else (other case, "ALL", unknown) gives nullopt.
std::optional<int> capability_number(std::string_view name);

}  // namespace edgevisor::manifests
