#include "payload_checks.hpp"

namespace edgevisor::telemetry::mqtt::detail {
namespace {

// Length of the valid sequence starting at text[i], or 0 (RFC 3629 table 3-7).
std::size_t sequence_length(std::string_view text, std::size_t i) {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = at(i);
    if (c < 0x80) return 1;
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || i + n > text.size()) return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    if (at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
    return n;
}

}  // namespace

std::optional<manifests::SourceMark> find_invalid_utf8(std::string_view text) {
    int line = 1, column = 1;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = sequence_length(text, i);
        if (n == 0) return manifests::SourceMark{"", line, column};
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            column += static_cast<int>(n);
        }
        i += n;
    }
    return std::nullopt;
}

}  // namespace edgevisor::telemetry::mqtt::detail
