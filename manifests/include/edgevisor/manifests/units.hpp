// Quantities in manifests: sizes ("64Mi", "1G", "4096"), durations ("500ms", "10s", "2m")
// and CPU ("0.5" cores or "500m"). Each returns an Error whose message says what was wrong.
#pragma once

#include <cstdint>
#include <string_view>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::manifests {

Result<Bytes> parse_bytes(std::string_view text);
Result<Duration> parse_duration(std::string_view text);
Result<std::uint64_t> parse_cpu_millicores(std::string_view text);

}  // namespace edgevisor::manifests
