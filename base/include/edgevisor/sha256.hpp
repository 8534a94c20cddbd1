// SHA-256 as lowercase hex: the manifests' canonical hash and the seccomp program cache key.
// Backed by libnettle, which (unlike OpenSSL's EVP) has no configuration file or provider to
// load on first use: a launch pays for the hash only.
#pragma once

#include <string>
#include <string_view>

namespace edgevisor {

// 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace edgevisor
