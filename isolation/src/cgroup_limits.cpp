// Manifest resources -> cgroup v2 limit files, and writing them into a cgroup.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::isolation {
namespace {

// The kernel refuses cpu.max quotas below 1 ms per period.
constexpr std::uint64_t kMinQuotaUs = 1000;
constexpr std::uint64_t kDefaultPeriodUs = 100000;
constexpr std::uint64_t kDefaultPidsMax = 4096;

std::string or_max(const std::optional<std::uint64_t>& value) {
    return value ? std::to_string(*value) : std::string("max");
}

void add(std::vector<CgroupSetting>& out, const char* file, std::string value,
         const char* controller, bool requested) {
    out.push_back({file, std::move(value), controller, requested});
}

Status render_cpu(const manifests::CpuResources& cpu, std::vector<CgroupSetting>& out) {
    if (cpu.max_millicores) {
        std::uint64_t period = cpu.period_us.value_or(kDefaultPeriodUs);
        std::uint64_t quota = *cpu.max_millicores * period / 1000;
        if (quota < kMinQuotaUs)
            return fail("cgroup.limits",
                        "cpu.max: " + std::to_string(*cpu.max_millicores) +
                            "m cores give a quota of " + std::to_string(quota) + " us per " +
                            std::to_string(period) + " us period; the kernel's minimum is 1000 us",
                        EINVAL);
        add(out, "cpu.max", cpu_max_value(*cpu.max_millicores, period), "cpu", true);
    } else {
        add(out, "cpu.max", "max " + std::to_string(kDefaultPeriodUs), "cpu", false);
    }
    add(out, "cpu.weight", std::to_string(cpu.weight.value_or(100)), "cpu", cpu.weight.has_value());
    return {};
}

Status render_io(const manifests::IoResources& io, const DeviceResolver& resolve,
                 std::vector<CgroupSetting>& out) {
    add(out, "io.weight", "default " + std::to_string(io.weight.value_or(100)), "io",
        io.weight.has_value());
    for (const auto& limit : io.max) {
        auto device = resolve(limit.device);
        if (!device) return std::unexpected(device.error().wrap("io.max"));
        add(out, "io.max",
            *device + " rbps=" + or_max(limit.rbps) + " wbps=" + or_max(limit.wbps) +
                " riops=" + or_max(limit.riops) + " wiops=" + or_max(limit.wiops),
            "io", true);
    }
    return {};
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// io.max lines for devices the cgroup limits now but the new resources no longer name.
Result<std::vector<CgroupSetting>> io_max_resets(int dir_fd, const std::string& where,
                                                 const std::vector<CgroupSetting>& settings) {
    std::vector<CgroupSetting> resets;
    auto current = detail::read_file(dir_fd, "io.max", where);
    if (!current) {
        if (current.error().code == ENOENT) return resets;
        return std::unexpected(current.error());
    }
    std::set<std::string> wanted;
    for (const auto& s : settings)
        if (s.file == "io.max") wanted.insert(s.value.substr(0, s.value.find(' ')));
    for (const auto& word : parse_word_list(*current)) {
        // Device fields look like "8:0"; the others are key=value.
        if (word.find(':') == std::string::npos || word.find('=') != std::string::npos) continue;
        if (!wanted.contains(word))
            resets.push_back(
                {"io.max", word + " rbps=max wbps=max riops=max wiops=max", "io", false});
    }
    return resets;
}

}  // namespace

std::string cpu_max_value(std::uint64_t millicores, std::uint64_t period_us) {
    return std::to_string(millicores * period_us / 1000) + " " + std::to_string(period_us);
}

Result<std::string> resolve_block_device(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail_errno("cgroup.device", "stat " + path);
    if (!S_ISBLK(st.st_mode))
        return fail("cgroup.device", path + " is not a block device", ENOTBLK);
    return std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
}

Result<std::vector<CgroupSetting>> render_limits(const manifests::Resources& resources,
                                                 const DeviceResolver& resolve) {
    std::vector<CgroupSetting> out;
    // cpuset first: a narrower cpu set should be in place before the quota that assumes it.
    add(out, "cpuset.cpus", resources.cpuset_cpus.value_or("\n"), "cpuset",
        resources.cpuset_cpus.has_value());
    add(out, "cpuset.mems", resources.cpuset_mems.value_or("\n"), "cpuset",
        resources.cpuset_mems.has_value());
    if (auto ok = render_cpu(resources.cpu, out); !ok) return std::unexpected(ok.error());
    const auto& memory = resources.memory;
    add(out, "memory.high", or_max(memory.high), "memory", memory.high.has_value());
    add(out, "memory.max", or_max(memory.max), "memory", memory.max.has_value());
    add(out, "memory.swap.max", or_max(memory.swap_max), "memory", memory.swap_max.has_value());
    // Root ignores RLIMIT_NPROC: without a cgroup limit a fork bomb in one workload takes the
    // node's pid space. Written wherever the pids controller exists (README: Resources).
    add(out, "pids.max", std::to_string(resources.pids.max.value_or(kDefaultPidsMax)), "pids",
        resources.pids.max.has_value());
    if (auto ok = render_io(resources.io, resolve, out); !ok) return std::unexpected(ok.error());
    return out;
}

std::string describe_skipped_limits(std::string_view workload, const SkippedLimits& skipped) {
    std::string files, controllers;
    for (const auto& file : skipped.files) files += (files.empty() ? "" : ", ") + file;
    for (const auto& name : skipped.controllers)
        controllers += (controllers.empty() ? "" : ", ") + name;
    return std::string(workload) + ": running without " + files + " (no " + controllers +
           " controller in " + skipped.mount_point + ")";
}

Status Cgroup::apply(const manifests::Resources& resources) {
    // Everything that can be checked is checked before the first write.
    auto settings = render_limits(resources);
    if (!settings) return std::unexpected(settings.error().wrap(path_));
    auto available = controllers();
    if (!available) return std::unexpected(available.error());

    std::string missing;
    std::vector<CgroupSetting> writes;
    skipped_ = SkippedLimits{{}, {}, mount_point_};
    for (auto& setting : *settings) {
        if (contains(*available, setting.controller)) {
            writes.push_back(std::move(setting));
            continue;
        }
        if (!setting.requested) continue;  // nothing to reset without the controller
        if (allow_missing_controllers_) {
            skipped_.files.push_back(setting.file);
            if (!contains(skipped_.controllers, setting.controller))
                skipped_.controllers.push_back(setting.controller);
        } else {
            missing += (missing.empty() ? "" : "; ") + setting.file + " requested but the " +
                       setting.controller + " controller is not available in " + mount_point_;
        }
    }
    if (!skipped_.empty()) {
        const std::string_view name = std::string_view(path_).substr(path_.rfind('/') + 1);
        log::warn("{}", describe_skipped_limits(name, skipped_));
    }
    if (!missing.empty())
        return fail("cgroup.controller",
                    missing + " (cgroup " + path_ +
                        "; the node setting allowMissingControllers runs without such limits)");
    if (contains(*available, "io")) {
        auto resets = io_max_resets(dir_.get(), path_, writes);
        if (!resets) return std::unexpected(resets.error());
        writes.insert(writes.end(), resets->begin(), resets->end());
    }

    for (const auto& setting : writes) {
        auto written = detail::write_file(dir_.get(), setting.file.c_str(), setting.value, path_);
        // A reset of a file this kernel lacks (memory.swap.max without swap accounting) is moot.
        if (!written && (setting.requested || written.error().code != ENOENT))
            return std::unexpected(written.error());
        if (written && setting.requested)
            log::debug("cgroup {}: {} = {}", path_, setting.file, setting.value);
    }
    return {};
}

}  // namespace edgevisor::isolation
