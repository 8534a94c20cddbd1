#include "raw_calls.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace edgevisor::checker {
namespace {

struct Call {
    long nr = -1;
    std::array<unsigned long, 6> args{};
};

Call parse(const std::string& spec) {
    Call call;
    std::istringstream in(spec);
    std::string item;
    for (std::size_t i = 0; std::getline(in, item, ','); ++i) {
        const unsigned long value = std::strtoul(item.c_str(), nullptr, 0);
        if (i == 0) {
            call.nr = static_cast<long>(value);
        } else if (i <= call.args.size()) {
            call.args[i - 1] = value;
        }
    }
    return call;
}

}  // namespace

int raw_syscall(const std::string& spec) {
    const Call c = parse(spec);
    const long rc =
        ::syscall(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5]);
    return rc < 0 ? errno : 0;
}

int raw_syscall_i386(const std::string& spec) {
#if defined(__x86_64__)
    const Call c = parse(spec);
    // The i386 entry takes 32-bit arguments in ebx, ecx, edx, esi, edi, ebp and returns -errno
    // in eax. rbp is the frame pointer here, so it is saved and swapped by hand.
    long rc = c.nr;
    const unsigned long a5 = c.args[5];
    asm volatile(
        "push %%rbp\n\t"
        "mov %[a5], %%rbp\n\t"
        "int $0x80\n\t"
        "pop %%rbp"
        : "+a"(rc)
        : "b"(c.args[0]), "c"(c.args[1]), "d"(c.args[2]), "S"(c.args[3]),
          "D"(c.args[4]), [a5] "m"(a5)
        : "memory", "cc", "r8", "r9", "r10", "r11");
    const int result = static_cast<int>(rc);
    return result < 0 ? -result : 0;
#else
    (void)spec;
    return ENOEXEC;
#endif
}

}  // namespace edgevisor::checker
