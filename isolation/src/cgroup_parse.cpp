// Parsers for cgroupfs and procfs text: line by line over string_views, numbers by from_chars.
#include "edgevisor/isolation/cgroup_parse.hpp"

#include <charconv>
#include <cstdint>

namespace edgevisor::isolation {
namespace {

// Calls fn(line) for every line without its '\n'.
template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
    while (!text.empty()) {
        auto end = text.find('\n');
        fn(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

// Next space-separated field of line (consumed), empty at the end.
std::string_view next_field(std::string_view& line) {
    auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    auto end = line.find(' ');
    auto field = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    return field;
}

template <typename T>
bool to_number(std::string_view text, T& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

// "key value" files: fn(key, value) for each line whose value is a number.
template <typename Fn>
void for_each_flat_key(std::string_view text, Fn fn) {
    for_each_line(text, [&](std::string_view line) {
        auto key = next_field(line);
        std::uint64_t value = 0;
        if (!key.empty() && to_number(next_field(line), value)) fn(key, value);
    });
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = 0;
            auto digits = text.substr(i + 1, 3);
            if (std::from_chars(digits.data(), digits.data() + 3, value, 8).ptr ==
                digits.data() + 3) {
                out.push_back(static_cast<char>(value));
                i += 3;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

// The fstype of a mountinfo line (the field after " - ") and its mount point (field 5).
struct MountLine {
    std::string_view mount_point, fstype;
};

std::optional<MountLine> split_mount_line(std::string_view line) {
    auto dash = line.find(" - ");
    if (dash == std::string_view::npos) return std::nullopt;
    std::string_view head = line.substr(0, dash);
    std::string_view tail = line.substr(dash + 3);
    MountLine out;
    for (int i = 0; i < 5; ++i) out.mount_point = next_field(head);
    out.fstype = next_field(tail);
    if (out.mount_point.empty() || out.fstype.empty()) return std::nullopt;
    return out;
}

PressureLine parse_pressure_fields(std::string_view line) {
    PressureLine out;
    for (auto field = next_field(line); !field.empty(); field = next_field(line)) {
        auto eq = field.find('=');
        if (eq == std::string_view::npos) continue;
        auto key = field.substr(0, eq);
        auto value = field.substr(eq + 1);
        if (key == "avg10")
            to_number(value, out.avg10);
        else if (key == "avg60")
            to_number(value, out.avg60);
        else if (key == "avg300")
            to_number(value, out.avg300);
        else if (key == "total")
            to_number(value, out.total_usec);
    }
    return out;
}

}  // namespace

std::optional<std::string> parse_cgroup2_mount_point(std::string_view mountinfo) {
    std::optional<std::string> found;
    for_each_line(mountinfo, [&](std::string_view line) {
        auto mount = split_mount_line(line);
        if (!found && mount && mount->fstype == "cgroup2")
            found = unescape_octal(mount->mount_point);
    });
    return found;
}

bool mountinfo_has_cgroup_v1(std::string_view mountinfo) {
    bool found = false;
    for_each_line(mountinfo, [&](std::string_view line) {
        auto mount = split_mount_line(line);
        if (mount && mount->fstype == "cgroup") found = true;
    });
    return found;
}

std::optional<std::string> parse_own_cgroup(std::string_view proc_self_cgroup) {
    std::optional<std::string> found;
    for_each_line(proc_self_cgroup, [&](std::string_view line) {
        // "0::/path" is the unified hierarchy; the path itself may contain ':'.
        if (!found && line.starts_with("0::")) found = std::string(line.substr(3));
    });
    return found;
}

CpuStat parse_cpu_stat(std::string_view text) {
    CpuStat out;
    for_each_flat_key(text, [&](std::string_view key, std::uint64_t value) {
        if (key == "usage_usec")
            out.usage_usec = value;
        else if (key == "user_usec")
            out.user_usec = value;
        else if (key == "system_usec")
            out.system_usec = value;
        else if (key == "nr_periods")
            out.nr_periods = value;
        else if (key == "nr_throttled")
            out.nr_throttled = value;
        else if (key == "throttled_usec")
            out.throttled_usec = value;
    });
    return out;
}

MemoryEvents parse_memory_events(std::string_view text) {
    MemoryEvents out;
    for_each_flat_key(text, [&](std::string_view key, std::uint64_t value) {
        if (key == "low")
            out.low = value;
        else if (key == "high")
            out.high = value;
        else if (key == "max")
            out.max = value;
        else if (key == "oom")
            out.oom = value;
        else if (key == "oom_kill")
            out.oom_kill = value;
        else if (key == "oom_group_kill")
            out.oom_group_kill = value;
    });
    return out;
}

CgroupState parse_cgroup_events(std::string_view text) {
    CgroupState out;
    for_each_flat_key(text, [&](std::string_view key, std::uint64_t value) {
        if (key == "populated")
            out.populated = value != 0;
        else if (key == "frozen")
            out.frozen = value != 0;
    });
    return out;
}

std::vector<IoStatEntry> parse_io_stat(std::string_view text) {
    std::vector<IoStatEntry> out;
    for_each_line(text, [&](std::string_view line) {
        auto device = next_field(line);
        auto colon = device.find(':');
        IoStatEntry entry;
        if (colon == std::string_view::npos || !to_number(device.substr(0, colon), entry.major) ||
            !to_number(device.substr(colon + 1), entry.minor))
            return;
        for (auto field = next_field(line); !field.empty(); field = next_field(line)) {
            auto eq = field.find('=');
            if (eq == std::string_view::npos) continue;
            auto key = field.substr(0, eq);
            std::uint64_t value = 0;
            if (!to_number(field.substr(eq + 1), value)) continue;
            if (key == "rbytes")
                entry.rbytes = value;
            else if (key == "wbytes")
                entry.wbytes = value;
            else if (key == "rios")
                entry.rios = value;
            else if (key == "wios")
                entry.wios = value;
            else if (key == "dbytes")
                entry.dbytes = value;
            else if (key == "dios")
                entry.dios = value;
        }
        out.push_back(entry);
    });
    return out;
}

Result<Pressure> parse_pressure(std::string_view text) {
    Pressure out;
    bool some = false;
    for_each_line(text, [&](std::string_view line) {
        auto kind = next_field(line);
        if (kind == "some") {
            out.some = parse_pressure_fields(line);
            some = true;
        } else if (kind == "full") {
            out.full = parse_pressure_fields(line);
        }
    });
    if (!some) return fail("cgroup.pressure", "no \"some\" line in pressure text");
    return out;
}

Result<std::uint64_t> parse_u64_file(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    std::uint64_t value = 0;
    if (!to_number(text, value))
        return fail("cgroup.read", "expected a number, got \"" + std::string(text) + "\"");
    return value;
}

std::vector<std::string> parse_word_list(std::string_view text) {
    std::vector<std::string> out;
    for_each_line(text, [&](std::string_view line) {
        for (auto word = next_field(line); !word.empty(); word = next_field(line))
            out.emplace_back(word);
    });
    return out;
}

}  // namespace edgevisor::isolation
