// A classic-BPF interpreter for seccomp programs, so that unit tests can ask a compiled filter
// what it answers for one system call (arch, number, arguments) without loading it. It follows
// the kernel's seccomp checker: 32-bit loads from struct seccomp_data, 16 scratch words.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace edgevisor::testing {

inline std::uint32_t bpf_eval(const std::vector<sock_filter>& program, const seccomp_data& data) {
    std::uint32_t a = 0, x = 0;
    std::array<std::uint32_t, BPF_MEMWORDS> mem{};
    auto load = [&](std::uint32_t offset) {
        if (offset % 4 != 0 || offset + 4 > sizeof data) throw std::runtime_error("bad load");
        std::uint32_t v;
        std::memcpy(&v, reinterpret_cast<const char*>(&data) + offset, 4);
        return v;
    };
    for (std::size_t pc = 0; pc < program.size(); ++pc) {
        const sock_filter& f = program[pc];
        const std::uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
        switch (BPF_CLASS(f.code)) {
            case BPF_LD:
                a = BPF_MODE(f.code) == BPF_ABS   ? load(f.k)
                    : BPF_MODE(f.code) == BPF_IMM ? f.k
                    : BPF_MODE(f.code) == BPF_MEM ? mem.at(f.k)
                                                  : throw std::runtime_error("bad ld");
                break;
            case BPF_LDX:
                x = BPF_MODE(f.code) == BPF_IMM ? f.k : mem.at(f.k);
                break;
            case BPF_ST:
                mem.at(f.k) = a;
                break;
            case BPF_STX:
                mem.at(f.k) = x;
                break;
            case BPF_ALU:
                switch (BPF_OP(f.code)) {
                    case BPF_ADD:
                        a += src;
                        break;
                    case BPF_SUB:
                        a -= src;
                        break;
                    case BPF_MUL:
                        a *= src;
                        break;
                    case BPF_DIV:
                        a = src ? a / src : 0;
                        break;
                    case BPF_MOD:
                        a = src ? a % src : 0;
                        break;
                    case BPF_OR:
                        a |= src;
                        break;
                    case BPF_AND:
                        a &= src;
                        break;
                    case BPF_XOR:
                        a ^= src;
                        break;
                    case BPF_LSH:
                        a <<= src;
                        break;
                    case BPF_RSH:
                        a >>= src;
                        break;
                    case BPF_NEG:
                        a = -a;
                        break;
                    default:
                        throw std::runtime_error("bad alu");
                }
                break;
            case BPF_JMP: {
                if (BPF_OP(f.code) == BPF_JA) {
                    pc += f.k;
                    break;
                }
                bool taken = false;
                switch (BPF_OP(f.code)) {
                    case BPF_JEQ:
                        taken = a == src;
                        break;
                    case BPF_JGT:
                        taken = a > src;
                        break;
                    case BPF_JGE:
                        taken = a >= src;
                        break;
                    case BPF_JSET:
                        taken = (a & src) != 0;
                        break;
                    default:
                        throw std::runtime_error("bad jmp");
                }
                pc += taken ? f.jt : f.jf;
                break;
            }
            case BPF_RET:
                return BPF_RVAL(f.code) == BPF_A ? a : f.k;
            case BPF_MISC:
                if (BPF_MISCOP(f.code) == BPF_TAX) {
                    x = a;
                } else {
                    a = x;
                }
                break;
            default:
                throw std::runtime_error("bad instruction class");
        }
    }
    throw std::runtime_error("program ran off its end");
}

}  // namespace edgevisor::testing
