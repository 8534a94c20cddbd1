// Sizes, durations and CPU quantities. All arithmetic is checked: "2^64" and "1e30" are errors
// that say so, never a silently wrapped or saturated limit.
#include "edgevisor/manifests/units.hpp"

#include <array>
#include <cctype>
#include <string>

#include "numbers.hpp"

namespace edgevisor::manifests {
namespace detail {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

bool looks_like_exponent(std::string_view text) {
    return text.find_first_of("eE") != std::string_view::npos &&
           text.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
}

// Explains why text that is not all digits is not a whole number.
std::string why_not_digits(std::string_view text, std::string_view what) {
    std::string head = quoted(text) + " is not " + std::string(what) + ": ";
    if (text.empty()) return "empty value is not " + std::string(what);
    if (text.front() == '-') return head + "it must not be negative";
    if (text.front() == '+') return head + "write it without a sign";
    if (looks_like_exponent(text)) return head + "exponent notation is not supported";
    if (text.find('.') != std::string_view::npos) return head + "it must be a whole number";
    return head + "expected digits only";
}

}  // namespace

Result<std::uint64_t> parse_unsigned(std::string_view text, std::string_view what,
                                     std::uint64_t max) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
        return fail("parse", why_not_digits(text, what));
    std::uint64_t value = 0;
    for (char c : text) {
        if (__builtin_mul_overflow(value, 10u, &value) ||
            __builtin_add_overflow(value, static_cast<unsigned>(c - '0'), &value))
            return fail("parse", quoted(text) + " is too large for " + std::string(what) +
                                     " (at most " + std::to_string(max) + ")");
    }
    if (value > max)
        return fail("parse", quoted(text) + " is too large for " + std::string(what) +
                                 " (at most " + std::to_string(max) + ")");
    return value;
}

Result<std::uint64_t> parse_octal(std::string_view text, std::uint64_t max) {
    std::string_view digits = text;
    if (digits.starts_with("0o") || digits.starts_with("0O")) digits.remove_prefix(2);
    if (digits.empty() || digits.size() > 8 ||
        digits.find_first_not_of("01234567") != std::string_view::npos)
        return fail("parse", quoted(text) + " is not an octal mode (e.g. 1777 or 0755)");
    std::uint64_t value = 0;
    for (char c : digits) value = value * 8 + static_cast<unsigned>(c - '0');
    if (value > max) return fail("parse", quoted(text) + " is out of range for a mode");
    return value;
}

}  // namespace detail

namespace {

struct Unit {
    std::string_view suffix;
    std::uint64_t factor;
};

// Splits "64Mi" into "64" and "Mi" at the first non-digit.
std::pair<std::string_view, std::string_view> split_number(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && detail::is_digit(text[i])) ++i;
    return {text.substr(0, i), text.substr(i)};
}

Result<std::uint64_t> scale(std::string_view text, std::string_view number, std::uint64_t factor,
                            std::string_view what) {
    // split_number leaves only digits here, so the only failure left is overflow.
    auto value = detail::parse_unsigned(number, what);
    std::uint64_t out = 0;
    if (!value || __builtin_mul_overflow(*value, factor, &out))
        return fail("parse", "'" + std::string(text) + "' is too large for " + std::string(what));
    return out;
}

// Number-with-unit text that fails: say whether the number or the unit is the problem.
std::unexpected<Error> bad_quantity(std::string_view text, std::string_view number,
                                    std::string_view what, std::string_view units) {
    if (number.empty() || text.front() == '-' || text.front() == '+' ||
        text.find('.') != std::string_view::npos || detail::looks_like_exponent(text))
        return fail("parse", detail::why_not_digits(text, what));
    return fail("parse", "'" + std::string(text) + "' has an unknown unit '" +
                             std::string(text.substr(number.size())) + "' (use " +
                             std::string(units) + ")");
}

}  // namespace

Result<Bytes> parse_bytes(std::string_view text) {
    static constexpr std::array<Unit, 9> units{{{"", 1},
                                                {"K", 1000ULL},
                                                {"M", 1000ULL * 1000},
                                                {"G", 1000ULL * 1000 * 1000},
                                                {"T", 1000ULL * 1000 * 1000 * 1000},
                                                {"Ki", 1ULL << 10},
                                                {"Mi", 1ULL << 20},
                                                {"Gi", 1ULL << 30},
                                                {"Ti", 1ULL << 40}}};
    auto [number, suffix] = split_number(text);
    for (const Unit& unit : units) {
        if (suffix == unit.suffix && !number.empty())
            return scale(text, number, unit.factor, "a size in bytes");
    }
    return bad_quantity(text, number, "a size (e.g. 4096, 64Mi, 1G)",
                        "K, M, G, T or Ki, Mi, Gi, Ti");
}

Result<Duration> parse_duration(std::string_view text) {
    static constexpr std::array<Unit, 4> units{
        {{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000}}};
    constexpr std::string_view what = "a duration (e.g. 500ms, 10s, 2m, 1h30m)";
    if (text == "0") return Duration{0};
    if (text.empty()) return fail("parse", "empty value is not " + std::string(what));
    // Go-style sums: "1h30m", "1m30s".
    std::uint64_t total = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        auto [number, tail] = split_number(rest);
        std::size_t unit_len = 0;
        while (unit_len < tail.size() && std::isalpha(static_cast<unsigned char>(tail[unit_len])))
            ++unit_len;
        std::string_view suffix = tail.substr(0, unit_len);
        if (number.empty()) {
            if (tail.find('.') != std::string_view::npos || text.front() == '-')
                return fail("parse", detail::why_not_digits(text, what));
            return fail("parse", "'" + std::string(text) + "' is not " + std::string(what));
        }
        if (suffix.empty()) {
            if (!tail.empty() && tail.front() == '.')
                return fail("parse", "'" + std::string(text) +
                                         "' must be whole: use a smaller unit (1500ms, not 1.5s)");
            return fail("parse",
                        "'" + std::string(text) + "' needs a unit: ms, s, m or h (e.g. 10s)");
        }
        const Unit* unit = nullptr;
        for (const Unit& u : units)
            if (u.suffix == suffix) unit = &u;
        if (unit == nullptr)
            return fail("parse", "'" + std::string(text) + "' has an unknown unit '" +
                                     std::string(suffix) + "' (use ms, s, m or h)");
        auto part = scale(text, number, unit->factor, "a duration");
        if (!part) return std::unexpected(part.error());
        if (__builtin_add_overflow(total, *part, &total))
            return fail("parse", "'" + std::string(text) + "' is too large for a duration");
        rest = tail.substr(unit_len);
    }
    // Durations are signed 64-bit milliseconds; a year is plenty, but refuse only true overflow.
    if (total > static_cast<std::uint64_t>(INT64_MAX))
        return fail("parse", "'" + std::string(text) + "' is too large for a duration");
    return Duration{static_cast<Duration::rep>(total)};
}

Result<std::uint64_t> parse_cpu_millicores(std::string_view text) {
    constexpr std::string_view what = "a CPU quantity (e.g. \"0.5\" cores or 500m)";
    auto all_digits = [](std::string_view s) {
        return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
    };
    auto too_large = [&] {
        return fail("parse", "'" + std::string(text) + "' is too large for a CPU quantity");
    };
    auto zero = [&] {
        return fail("parse", "'" + std::string(text) + "' is zero: a CPU limit must be > 0");
    };
    std::uint64_t millis = 0;
    if (text.ends_with('m')) {
        std::string_view number = text.substr(0, text.size() - 1);
        auto value = detail::parse_unsigned(number, what);
        if (!value)
            return all_digits(number) ? too_large()
                                      : fail("parse", detail::why_not_digits(text, what));
        millis = *value;
    } else {
        auto dot = text.find('.');
        std::string_view whole = text.substr(0, dot);
        std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
        if (dot != std::string_view::npos && whole.empty()) whole = "0";
        if (frac.size() > 3 && frac.find_first_not_of('0', 3) != std::string_view::npos)
            return fail("parse",
                        "'" + std::string(text) + "' is finer than one millicore (0.001 cores)");
        auto cores = detail::parse_unsigned(whole, what);
        if (!cores && all_digits(whole) && (frac.empty() || all_digits(frac))) return too_large();
        if (!cores ||
            (!frac.empty() && frac.find_first_not_of("0123456789") != std::string_view::npos) ||
            (dot != std::string_view::npos && frac.empty()))
            return fail("parse", detail::why_not_digits(text, what));
        std::uint64_t fraction = 0;
        for (std::size_t i = 0; i < 3; ++i)
            fraction = fraction * 10 + (i < frac.size() ? static_cast<unsigned>(frac[i] - '0') : 0);
        if (__builtin_mul_overflow(*cores, 1000u, &millis) ||
            __builtin_add_overflow(millis, fraction, &millis))
            return too_large();
    }
    if (millis == 0) return zero();
    return millis;
}

}  // namespace edgevisor::manifests
