// The raw-number prefix: a few BPF instructions of our own in front of libseccomp's program, for
// calls that libseccomp 2.5.4 cannot name (newer than its tables) and for the one check it
// cannot express per ABI (i386 socketcall). libseccomp's program reloads everything it reads
// and uses only relative jumps, so putting instructions in front of it changes nothing in it.
//
// Layout, per kernel architecture token that has rules:
//     ld  [arch]
//     jeq TOKEN_A, next, skip_a      ; x86_64 and x32 share AUDIT_ARCH_X86_64
//   next:
//     ld  [nr]
//     jge LOWEST_NR, 0, end          ; below every rule's number: nothing to do here
//     jeq NR_1, ret_1, 0             ; one line per rule without argument condition
//     jeq NR_k, 0, skip_k            ; a rule with arg0: compare, reload nr after
//     ld  [args[0] low word]
//     jeq VALUE, ret_k, 0
//     ld  [nr]
//   skip_k:
//     ...
//     ja  end
//   skip_a:
//     jeq TOKEN_B ...
//   ret_1: ret ACTION_1               ; one ret per distinct action
//   end:                              ; libseccomp's program
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <map>

#include "seccomp_policy.hpp"

namespace edgevisor::isolation::seccomp_detail {

namespace {

constexpr std::uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT

// What the kernel puts in seccomp_data.arch for a filter ABI: x32 calls arrive as x86_64
// with the x32 bit in the number.
std::uint32_t kernel_token(std::uint32_t arch) {
    return arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch;
}

std::uint32_t number_on(std::uint32_t arch, std::uint32_t number) {
    return arch == SCMP_ARCH_X32 ? (number | kX32Bit) : number;
}

std::uint32_t action_value(const manifests::SeccompAction& action) {
    using manifests::SeccompActionKind;
    switch (action.kind) {
        case SeccompActionKind::allow:
            return SECCOMP_RET_ALLOW;
        case SeccompActionKind::errno_code:
            return SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(action.errno_value) & 0xffffU);
        case SeccompActionKind::kill_process:
            return SECCOMP_RET_KILL_PROCESS;
        case SeccompActionKind::kill_thread:
            return SECCOMP_RET_KILL_THREAD;
        case SeccompActionKind::trap:
            return SECCOMP_RET_TRAP;
        case SeccompActionKind::log:
            return SECCOMP_RET_LOG;
    }
    return SECCOMP_RET_KILL_PROCESS;
}

// Instructions with symbolic jump targets, resolved once the layout is known.
class Assembler {
  public:
    using Label = std::size_t;

    Label label() {
        labels_.push_back(kUnplaced);
        return labels_.size() - 1;
    }
    void place(Label l) { labels_[l] = code_.size(); }

    void load(std::uint32_t offset) { emit(BPF_LD | BPF_W | BPF_ABS, offset); }
    void ret(std::uint32_t value) { emit(BPF_RET | BPF_K, value); }
    void jump(Label to) { emit(BPF_JMP | BPF_JA, 0, kNone, kNone, to); }
    // Jumps to `yes` when the accumulator equals k, else to `no`; kNone means the next one.
    void jump_eq(std::uint32_t k, Label yes, Label no) {
        emit(BPF_JMP | BPF_JEQ | BPF_K, k, yes, no);
    }
    void jump_ge(std::uint32_t k, Label yes, Label no) {
        emit(BPF_JMP | BPF_JGE | BPF_K, k, yes, no);
    }

    Result<std::vector<sock_filter>> finish() const {
        std::vector<sock_filter> out;
        for (std::size_t i = 0; i < code_.size(); ++i) {
            const auto& in = code_[i];
            sock_filter f{in.code, 0, 0, in.k};
            auto offset = [&](Label l) -> std::size_t {
                return l == kNone ? 0 : labels_[l] - (i + 1);
            };
            if (in.code == (BPF_JMP | BPF_JA)) {
                f.k = static_cast<std::uint32_t>(offset(in.always));
            } else if (BPF_CLASS(in.code) == BPF_JMP) {
                const std::size_t jt = offset(in.yes), jf = offset(in.no);
                // Conditional jumps reach 255 instructions: far more than a prefix needs.
                if (jt > 255 || jf > 255) {
                    return fail("seccomp", "raw-number prefix too long for a BPF jump", E2BIG);
                }
                f.jt = static_cast<std::uint8_t>(jt);
                f.jf = static_cast<std::uint8_t>(jf);
            }
            out.push_back(f);
        }
        return out;
    }

    static constexpr Label kNone = static_cast<Label>(-1);

  private:
    static constexpr std::size_t kUnplaced = static_cast<std::size_t>(-1);
    struct Instruction {
        std::uint16_t code;
        std::uint32_t k;
        Label yes, no, always;
    };
    void emit(std::uint16_t code, std::uint32_t k, Label yes = kNone, Label no = kNone,
              Label always = kNone) {
        code_.push_back({code, k, yes, no, always});
    }
    std::vector<Instruction> code_;
    std::vector<std::size_t> labels_;
};

struct TokenRule {
    std::uint32_t number;
    std::optional<std::uint32_t> arg0_is;
    std::uint32_t action;
};

}  // namespace

Result<std::vector<sock_filter>> raw_rule_prefix(const std::vector<RawRule>& rules,
                                                 const std::vector<std::uint32_t>& arches) {
    // Rules per kernel token, in the policy's order (first match wins).
    std::map<std::uint32_t, std::vector<TokenRule>> by_token;
    for (const auto& rule : rules) {
        for (auto arch : arches) {
            if (rule.only_arch != 0 && rule.only_arch != arch) continue;
            by_token[kernel_token(arch)].push_back(
                {number_on(arch, rule.number), rule.arg0_is, action_value(rule.action)});
        }
    }
    if (by_token.empty()) return std::vector<sock_filter>{};

    Assembler a;
    const auto end = a.label();
    std::map<std::uint32_t, Assembler::Label> returns;  // action -> its ret instruction
    auto ret_label = [&](std::uint32_t action) {
        auto it = returns.find(action);
        return it != returns.end() ? it->second : returns.emplace(action, a.label()).first->second;
    };
    constexpr auto kArch = static_cast<std::uint32_t>(offsetof(seccomp_data, arch));
    constexpr auto kNr = static_cast<std::uint32_t>(offsetof(seccomp_data, nr));
    // Little-endian targets: the low word of args[0] comes first.
    constexpr auto kArg0 = static_cast<std::uint32_t>(offsetof(seccomp_data, args));

    a.load(kArch);
    for (const auto& [token, token_rules] : by_token) {
        const auto other_token = a.label();
        a.jump_eq(token, Assembler::kNone, other_token);
        a.load(kNr);
        // The raw numbers are the newest calls: everything below the lowest leaves at once, so
        // the common call pays four instructions here.
        std::uint32_t lowest = token_rules.front().number;
        for (const auto& r : token_rules) lowest = std::min(lowest, r.number);
        a.jump_ge(lowest, Assembler::kNone, end);
        // Plain number checks first, then those that also read argument 0.
        for (const auto& r : token_rules) {
            if (!r.arg0_is) a.jump_eq(r.number, ret_label(r.action), Assembler::kNone);
        }
        for (const auto& r : token_rules) {
            if (!r.arg0_is) continue;
            const auto skip = a.label();
            a.jump_eq(r.number, Assembler::kNone, skip);
            a.load(kArg0);
            a.jump_eq(*r.arg0_is, ret_label(r.action), Assembler::kNone);
            a.load(kNr);
            a.place(skip);
        }
        a.jump(end);
        a.place(other_token);  // reached from the token comparison: the accumulator holds arch
    }
    a.jump(end);
    for (const auto& [action, label] : returns) {
        a.place(label);
        a.ret(action);
    }
    a.place(end);
    return a.finish();
}

}  // namespace edgevisor::isolation::seccomp_detail
