// Strict unsigned integer text, shared by the unit parsers and the YAML reader: digits only,
// with messages that say what is wrong (negative, fraction, exponent, overflow, garbage).
#pragma once

#include <cstdint>
#include <string_view>

#include "edgevisor/error.hpp"

namespace edgevisor::manifests::detail {

// "what" names the quantity in messages ("a size", "a port"). Accepts 0; callers bound it.
Result<std::uint64_t> parse_unsigned(std::string_view text, std::string_view what,
                                     std::uint64_t max = UINT64_MAX);

// Octal digits ("1777", "01777", "0o1777"), for file modes.
Result<std::uint64_t> parse_octal(std::string_view text, std::uint64_t max);

}  // namespace edgevisor::manifests::detail
