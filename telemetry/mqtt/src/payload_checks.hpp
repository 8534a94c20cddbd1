// What an incoming payload must pass before any parser sees it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::telemetry::mqtt::detail {

// The first byte that is not part of valid UTF-8 (overlongs, surrogates and code points above
// U+10FFFF included), as a 1-based line and column (in bytes), or nullopt when all is valid.
std::optional<manifests::SourceMark> find_invalid_utf8(std::string_view text);

}  // namespace edgevisor::telemetry::mqtt::detail
