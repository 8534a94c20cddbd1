// prepare_seccomp: policy -> BPF, cached process-wide by the policy's hash, so a restart or a
// second workload with the same policy costs one hash and one map lookup. child_load_seccomp:
// a single seccomp(2) call on the ready program.
#include "seccomp.hpp"

#include <linux/seccomp.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <unordered_map>

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

// The canonical text of everything that decides the compiled program. For a profile file its
// identity and modification time stand in for its content, so a cache hit reads nothing.
Result<std::string> cache_key(const manifests::Seccomp& seccomp,
                              const manifests::Capabilities& granted) {
    std::string key = "edgevisor-seccomp-v1 arch=" + std::to_string(seccomp_arch_native());
    auto action = [](const manifests::SeccompAction& a) {
        return std::to_string(static_cast<int>(a.kind)) + "/" + std::to_string(a.errno_value);
    };
    switch (seccomp.profile) {
        case manifests::SeccompProfile::unconfined:
            return key + " unconfined";
        case manifests::SeccompProfile::default_profile:
            return key + " default";
        case manifests::SeccompProfile::custom:
            key += " custom default=" + action(seccomp.default_action);
            for (const auto& rule : seccomp.rules) {
                key += " rule=" + action(rule.action);
                for (const auto& name : rule.names) key += "," + name;
                for (const auto& arg : rule.args) {
                    key += ":" + std::to_string(arg.index) + "/" +
                           std::to_string(static_cast<int>(arg.op)) + "/" +
                           std::to_string(arg.value) + "/" + std::to_string(arg.value_two);
                }
            }
            return key;
        case manifests::SeccompProfile::file: {
            struct stat st {};
            if (::stat(seccomp.path.c_str(), &st) != 0) {
                return fail_errno("seccomp", "cannot stat seccomp profile " + seccomp.path);
            }
            key += " file=" + seccomp.path + " dev=" + std::to_string(st.st_dev) +
                   " ino=" + std::to_string(st.st_ino) + " size=" + std::to_string(st.st_size) +
                   " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." +
                   std::to_string(st.st_mtim.tv_nsec);
            // includes/excludes.caps make the result depend on the granted capabilities.
            std::vector<std::string> caps;
            for (const auto& cap : granted.add) caps.push_back(cap.name);
            std::sort(caps.begin(), caps.end());
            for (const auto& cap : caps) key += " cap=" + cap;
            return key;
        }
    }
    return fail("seccomp", "unknown seccomp profile kind", EINVAL);
}

std::string sha256_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < length; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

Result<detail::SeccompPolicy> build_policy(const manifests::Seccomp& seccomp,
                                           const manifests::Capabilities& granted) {
    switch (seccomp.profile) {
        case manifests::SeccompProfile::default_profile:
            return detail::default_policy();
        case manifests::SeccompProfile::custom:
            return detail::custom_policy(seccomp);
        case manifests::SeccompProfile::file:
            return detail::import_profile_file(seccomp.path, granted);
        case manifests::SeccompProfile::unconfined:
            break;
    }
    return fail("seccomp", "no policy to build for this profile", EINVAL);
}

struct ProgramCache {
    std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const SeccompProgram>> programs;
};

ProgramCache& cache() {
    static ProgramCache instance;
    return instance;
}

}  // namespace

Result<std::shared_ptr<const SeccompProgram>> prepare_seccomp(
    const manifests::Seccomp& seccomp, const manifests::Capabilities& granted) {
    auto key = cache_key(seccomp, granted);
    if (!key) return std::unexpected(key.error());
    const std::string hash = sha256_hex(*key);
    {
        std::lock_guard lock(cache().mutex);
        if (auto it = cache().programs.find(hash); it != cache().programs.end()) return it->second;
    }
    // Compiled outside the lock: two threads racing on one new policy both compile, and the
    // first insert wins; other policies never wait for a compile.
    SeccompProgram program;
    if (seccomp.profile != manifests::SeccompProfile::unconfined) {
        auto policy = build_policy(seccomp, granted);
        if (!policy) return std::unexpected(policy.error());
        auto compiled = detail::compile_policy(*policy);
        if (!compiled) return std::unexpected(compiled.error());
        program = std::move(*compiled);
    }
    program.policy_hash = hash;
    auto shared = std::make_shared<const SeccompProgram>(std::move(program));
    std::lock_guard lock(cache().mutex);
    return cache().programs.try_emplace(hash, std::move(shared)).first->second;
}

int child_load_seccomp(const SeccompProgram& program) noexcept {
    if (program.instructions.empty()) return 0;
    sock_fprog fprog = program.fprog();
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) return errno;
    return 0;
}

}  // namespace edgevisor::isolation
