// prepare_seccomp: policy -> BPF, cached process-wide by the policy's canonical text (a second
// workload with the same policy costs one map lookup) and across processes on disk
// (seccomp_cache.hpp: `edgectl run` and a restarted daemon skip libseccomp's compiler).
// child_load_seccomp: a single seccomp(2) call on the ready program.
#include "seccomp.hpp"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "edgevisor/sha256.hpp"
#include "seccomp_cache.hpp"
#include "seccomp_policy.hpp"

namespace edgevisor::isolation {

namespace detail = seccomp_detail;

sock_fprog SeccompProgram::fprog() const {
    return {static_cast<unsigned short>(instructions.size()),
            const_cast<sock_filter*>(instructions.data())};
}

namespace seccomp_detail {

Result<SeccompPolicy> custom_policy(const manifests::Seccomp& seccomp) {
    auto check_action = [](const manifests::SeccompAction& action, const std::string& where) {
        if (action.kind == manifests::SeccompActionKind::errno_code &&
            (action.errno_value < 0 || action.errno_value > 4095)) {
            return Status{fail(
                "seccomp",
                where + ": errno " + std::to_string(action.errno_value) + " out of range 0..4095",
                EINVAL)};
        }
        return Status{};
    };
    if (auto s = check_action(seccomp.default_action, "defaultAction"); !s) {
        return std::unexpected(s.error());
    }
    SeccompPolicy policy;
    policy.default_action = seccomp.default_action;
    policy.unknown_names_fatal = true;
    policy.origin = "custom policy";
    for (std::size_t i = 0; i < seccomp.rules.size(); ++i) {
        const auto& rule = seccomp.rules[i];
        const std::string where = "rule " + std::to_string(i + 1);
        if (rule.names.empty()) return fail("seccomp", where + ": no syscall names", EINVAL);
        if (auto s = check_action(rule.action, where); !s) return std::unexpected(s.error());
        unsigned seen = 0;
        for (const auto& arg : rule.args) {
            if (arg.index > 5) {
                return fail("seccomp", where + ": argument index > 5", EINVAL);
            }
            // libseccomp accepts one comparison per argument in a rule; say so instead of
            // its bare EINVAL.
            if (((seen >> arg.index) & 1U) != 0) {
                return fail("seccomp",
                            where + ": argument " + std::to_string(arg.index) +
                                " compared twice; write one rule per comparison (rules are ORed)",
                            EINVAL);
            }
            seen |= 1U << arg.index;
        }
        policy.rules.push_back(rule);
    }
    return policy;
}

}  // namespace seccomp_detail

namespace {

std::string action_text(const manifests::SeccompAction& a) {
    return std::to_string(static_cast<int>(a.kind)) + "/" + std::to_string(a.errno_value);
}

// Everything compile_policy() reads, as text: equal texts give equal programs.
std::string policy_text(const detail::SeccompPolicy& policy) {
    std::string text = "policy " + policy.origin + "\ndefault " +
                       action_text(policy.default_action) + " unknown-fatal " +
                       (policy.unknown_names_fatal ? "1" : "0") + "\n";
    for (const auto& rule : policy.rules) {
        text += "rule " + action_text(rule.action);
        for (const auto& name : rule.names) text += " " + name;
        for (const auto& arg : rule.args) {
            text += " arg" + std::to_string(arg.index) + ":" +
                    std::to_string(static_cast<int>(arg.op)) + ":" + std::to_string(arg.value) +
                    ":" + std::to_string(arg.value_two);
        }
        text += "\n";
    }
    for (const auto& raw : policy.raw_rules) {
        text += "raw " + raw.name + " " + std::to_string(raw.number) + " " +
                action_text(raw.action) + " arch " + std::to_string(raw.only_arch) + " arg0 " +
                (raw.arg0_is ? std::to_string(*raw.arg0_is) : std::string("any")) + "\n";
    }
    for (const auto& warning : policy.warnings) text += "warning " + warning + "\n";
    return text;
}

// A policy before compilation: its canonical text (the cache key), and what a cache miss
// needs to compile it. An imported profile stays raw JSON until a miss: parsing Docker's
// profile costs more than loading its compiled program.
struct PolicySource {
    std::string canonical_text;
    std::optional<detail::SeccompPolicy> policy;  // default and custom
    std::string profile_json;                     // file
};

Result<PolicySource> describe_policy(const manifests::Seccomp& seccomp,
                                     const manifests::Capabilities& granted) {
    PolicySource source;
    switch (seccomp.profile) {
        case manifests::SeccompProfile::unconfined:
            source.canonical_text = "unconfined\n";
            return source;
        case manifests::SeccompProfile::default_profile:
            source.policy = detail::default_policy(granted);
            break;
        case manifests::SeccompProfile::custom: {
            auto policy = detail::custom_policy(seccomp);
            if (!policy) return std::unexpected(policy.error());
            source.policy = std::move(*policy);
            break;
        }
        case manifests::SeccompProfile::file: {
            auto json = detail::read_profile_file(seccomp.path);
            if (!json) return std::unexpected(json.error());
            // What the import evaluates includes/excludes against (arch is in the cache name).
            auto context = detail::current_import_context(granted);
            std::sort(context.capabilities.begin(), context.capabilities.end());
            source.canonical_text = "file " + seccomp.path + "\nkernel " +
                                    std::to_string(context.kernel_major) + "." +
                                    std::to_string(context.kernel_minor) + "\ncaps";
            for (const auto& cap : context.capabilities) source.canonical_text += " " + cap;
            source.canonical_text += "\n" + *json;
            source.profile_json = std::move(*json);
            return source;
        }
    }
    if (!source.policy) return fail("seccomp", "unknown seccomp profile kind", EINVAL);
    source.canonical_text = policy_text(*source.policy);
    return source;
}

Result<SeccompProgram> compile_source(const PolicySource& source, const manifests::Seccomp& seccomp,
                                      const manifests::Capabilities& granted) {
    if (source.policy) return detail::compile_policy(*source.policy);
    auto policy = detail::parse_oci_profile(source.profile_json,
                                            detail::current_import_context(granted), seccomp.path);
    if (!policy) return std::unexpected(policy.error());
    return detail::compile_policy(*policy);
}

// Least recently used out first, beyond kProgramCacheEntries: a long-running supervisor sees
// policies come and go with its manifests. A linear scan for the oldest is fine at this size.
class ProgramCache {
  public:
    std::shared_ptr<const SeccompProgram> find(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(key);
        if (it == entries_.end()) return nullptr;
        it->second.last_used = ++clock_;
        return it->second.program;
    }

    // The first insert of a key wins (two threads may have compiled the same new policy).
    std::shared_ptr<const SeccompProgram> insert(std::string key,
                                                 std::shared_ptr<const SeccompProgram> program) {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end()) return it->second.program;
        if (entries_.size() >= kProgramCacheEntries) {
            auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                           [](const auto& a, const auto& b) {
                                               return a.second.last_used < b.second.last_used;
                                           });
            entries_.erase(oldest);
        }
        return entries_.emplace(std::move(key), Entry{std::move(program), ++clock_})
            .first->second.program;
    }

  private:
    struct Entry {
        std::shared_ptr<const SeccompProgram> program;
        std::uint64_t last_used = 0;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t clock_ = 0;
};

ProgramCache& cache() {
    static ProgramCache instance;
    return instance;
}

}  // namespace

Result<std::shared_ptr<const SeccompProgram>> prepare_seccomp(
    const manifests::Seccomp& seccomp, const manifests::Capabilities& granted) {
    auto source = describe_policy(seccomp, granted);
    if (!source) return std::unexpected(source.error());
    if (auto known = cache().find(source->canonical_text)) return known;
    // Compiled (or read from disk) outside the cache's lock: two threads racing on one new
    // policy both do it, and the first insert wins; other policies never wait.
    SeccompProgram program;
    if (seccomp.profile != manifests::SeccompProfile::unconfined) {
        auto cached =
            detail::load_or_compile(detail::program_cache_directory(), source->canonical_text,
                                    [&] { return compile_source(*source, seccomp, granted); });
        if (!cached) return std::unexpected(cached.error());
        program = std::move(cached->program);
    }
    program.policy_hash = sha256_hex(source->canonical_text);
    return cache().insert(std::move(source->canonical_text),
                          std::make_shared<const SeccompProgram>(std::move(program)));
}

int child_load_seccomp(const SeccompProgram& program) noexcept {
    if (program.instructions.empty()) return 0;
    sock_fprog fprog = program.fprog();
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) return errno;
    return 0;
}

}  // namespace edgevisor::isolation
